// The terminal progress line of upgrade/downgrade.
#include "cli/support/progress.hpp"

#include <fmt/format.h>

#include <iostream>

#include "cli/support/tty.hpp"

namespace distil::cli {

namespace {
constexpr int kStderr = 2;
constexpr auto kRedrawEvery = std::chrono::milliseconds(200);

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
}  // namespace

std::string format_elapsed(std::chrono::steady_clock::duration d) {
  auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 100;
  if (tenths < 600) return fmt::format("{}.{}s", tenths / 10, tenths % 10);
  auto seconds = tenths / 10;
  return fmt::format("{}m{:02d}s", seconds / 60, seconds % 60);
}

Progress::Progress(db::RunOptions& run, bool upgrade) : upgrade_(upgrade) {
  if (!tty::supports_cursor(kStderr)) return;
  inner_log_ = run.log;
  inner_warn_ = run.warn;
  if (inner_log_) run.log = [this](const std::string& message) { print(inner_log_, message); };
  if (inner_warn_) run.warn = [this](const std::string& message) { print(inner_warn_, message); };
  run.on_step_start = [this](std::size_t index, std::size_t total, const model::PlanStep& step) {
    start(index, total, step);
  };
  run.on_step_done = [this](std::size_t index, std::size_t total, const model::PlanStep&) {
    done(index, total);
  };
  ticker_ = std::thread([this] { tick(); });
}

Progress::~Progress() {
  if (!ticker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
  if (!started_) return;
  const bool colour = tty::colour_enabled(kStderr);
  auto elapsed = format_elapsed(Clock::now() - run_start_);
  std::string summary;
  if (finished_ == total_) {
    summary = fmt::format("{} {} {} revision{} in {}", tty::paint(tty::Style::green, "Done:", colour),
                          upgrade_ ? "upgraded" : "downgraded", finished_,
                          finished_ == 1 ? "" : "s", elapsed);
  } else {
    summary = fmt::format("{} at [{}/{}] after {} ({} of {} revisions done)",
                          tty::paint(tty::Style::red, "Stopped", colour), index_ + 1, total_,
                          elapsed, finished_, total_);
  }
  std::cerr << tty::kClearLine << summary << "\n" << std::flush;
}

void Progress::start(std::size_t index, std::size_t total, const model::PlanStep& step) {
  std::lock_guard lock(mutex_);
  if (!started_) run_start_ = Clock::now();
  started_ = true;
  active_ = true;
  index_ = index;
  total_ = total;
  step_start_ = Clock::now();
  const auto& rev = *step.revision;
  line_ = fmt::format("[{}/{}] {}{}", index + 1, total, rev.id,
                      rev.message.empty() ? "" : " " + first_line(rev.message));
  draw();
}

void Progress::done(std::size_t index, std::size_t total) {
  std::lock_guard lock(mutex_);
  active_ = false;
  finished_ = index + 1;
  total_ = total;
  std::cerr << tty::kClearLine << std::flush;
}

void Progress::print(const std::function<void(const std::string&)>& to, const std::string& message) {
  std::lock_guard lock(mutex_);
  if (active_) std::cerr << tty::kClearLine << std::flush;
  to(message);
  if (active_) draw();
}

void Progress::draw() {
  auto now = Clock::now();
  std::string elapsed = " \u2014 " + format_elapsed(now - step_start_);
  if (index_ > 0) elapsed += " (total " + format_elapsed(now - run_start_) + ")";
  // One terminal row at most, or "\r + clear line" would leave the wrapped part behind:
  // the message gives way first, the elapsed time stays.
  std::size_t columns = tty::width(kStderr);
  columns = columns > 1 ? columns - 1 : 1;
  std::string text = line_ + elapsed;
  if (tty::length(text) > columns && columns > tty::length(elapsed) + 8)
    text = tty::fit(line_, columns - tty::length(elapsed)) + elapsed;
  text = tty::fit(text, columns);
  std::cerr << tty::kClearLine << tty::paint(tty::Style::bold, text, tty::colour_enabled(kStderr))
            << std::flush;
}

void Progress::tick() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, kRedrawEvery);
    if (!stop_ && active_) draw();
  }
}

}  // namespace distil::cli

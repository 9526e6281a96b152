// The progress line of `upgrade`/`downgrade` on a terminal: "[k/N] <rev> <message> — elapsed",
// redrawn in place on stderr while a revision runs, and a summary line at the end. Nothing
// at all when stderr is not a terminal: the INFO lines are then the whole log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "db/runner.hpp"

namespace distil::cli {

class Progress {
 public:
  // When stderr supports cursor control: hooks into `run` (on_step_start/on_step_done) and
  // wraps run.log and run.warn, so an INFO, WARNING or --verbose statement line never lands
  // in the middle of the progress line. Otherwise leaves `run` untouched.
  // REQUIRES: `run` is used only while this object lives.
  Progress(db::RunOptions& run, bool upgrade);
  ~Progress();  // erases the progress line and prints the summary line (when a step ran)
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  void start(std::size_t index, std::size_t total, const model::PlanStep& step);
  void done(std::size_t index, std::size_t total);
  // Writes a log line through `to` with the progress line erased first and redrawn after.
  void print(const std::function<void(const std::string&)>& to, const std::string& message);
  void draw();  // REQUIRES: mutex_ held
  void tick();  // the redraw thread: elapsed time moves while a long revision runs

  bool upgrade_;
  std::function<void(const std::string&)> inner_log_, inner_warn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false, active_ = false;
  std::size_t index_ = 0, total_ = 0, finished_ = 0;
  std::string line_;  // "[k/N] rev message" of the running step
  Clock::time_point run_start_, step_start_;
  bool started_ = false;
  std::thread ticker_;
};

// "0.4s", "12.3s", "2m05s".
std::string format_elapsed(std::chrono::steady_clock::duration d);

}  // namespace distil::cli

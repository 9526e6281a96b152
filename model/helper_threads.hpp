// Helper threads for work the calling thread shares out (revision files parsed or statted in
// batches): one thread per core, at most 4, less the threads of the caller that are busy
// with other work meanwhile, and never fewer than the caller itself.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace distil::model {

class HelperThreads {
 public:
  // Starts threads running `work` so that, with the caller, `want` threads take part: one
  // per core (at most 4) less `busy_threads` when `want` is 0; fewer when the system has no
  // more to give. The caller runs its own share of `work` after this.
  template <class Work>
  HelperThreads(Work& work, unsigned busy_threads, std::size_t want = 0) {
    if (want == 0) {
      const unsigned cores = std::thread::hardware_concurrency();
      want = std::min(cores > busy_threads ? cores - busy_threads : 1u, 4u);
    }
    try {
      for (std::size_t t = 1; t < want; ++t) threads_.emplace_back(work);
    } catch (const std::system_error&) {
      // No more threads to be had: those started and the caller do the work.
    }
  }
  ~HelperThreads() { join(); }
  HelperThreads(const HelperThreads&) = delete;
  HelperThreads& operator=(const HelperThreads&) = delete;

  void join() {
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }
  // The threads that take part, the caller included.
  std::size_t count() const { return threads_.size() + 1; }

 private:
  std::vector<std::thread> threads_;
};

// Lowers `first` to `i` unless it is lower already: the first failing item of work that the
// threads claim in index order (an item is skipped only once an earlier one has failed).
inline void keep_lowest(std::atomic<std::size_t>& first, std::size_t i) {
  std::size_t seen = first.load();
  while (i < seen && !first.compare_exchange_weak(seen, i)) {
  }
}

}  // namespace distil::model

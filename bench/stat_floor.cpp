// The least work a correct `heads` or `history` does on a warm header cache, as a floor for
// bench/run: read the cache file, and take the stat of every revision file (a file edited in
// place changes no folder stamp, only its own), on one thread per core, at most 4, as
// model/revision_cache.cpp does. Nothing is decoded, no graph is built, nothing is printed
// but the count.
//
//   stat_floor FOLDER NAMES CACHE    NAMES: one file name per line (what the cache lists)
//
// Exit status 1 when a file cannot be read or a name has no regular file behind it, so the
// floor never times less work than it claims.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: stat_floor FOLDER NAMES CACHE\n");
    return 2;
  }
  std::vector<std::string> names;
  std::ifstream list(argv[2]);
  for (std::string line; std::getline(list, line);)
    if (!line.empty()) names.push_back(line);
  const int dir = ::open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int cache = ::open(argv[3], O_RDONLY | O_CLOEXEC);
  struct stat cache_st {};
  if (dir < 0 || cache < 0 || ::fstat(cache, &cache_st) != 0 || names.empty()) {
    std::fprintf(stderr, "stat_floor: cannot read %s, %s or %s\n", argv[1], argv[2], argv[3]);
    return 1;
  }
  // Every page of the cache is read once.
  const size_t size = static_cast<size_t>(cache_st.st_size);
  const auto* bytes =
      static_cast<const unsigned char*>(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, cache, 0));
  if (bytes == MAP_FAILED) return 1;
  unsigned sum = 0;
  for (size_t i = 0; i < size; i += 4096) sum += bytes[i];

  std::atomic<size_t> next{0}, regular{0};
  auto work = [&] {
    size_t found = 0;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < names.size();) {
      struct stat st {};
      found += ::fstatat(dir, names[i].c_str(), &st, 0) == 0 && S_ISREG(st.st_mode);
    }
    regular += found;
  };
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (auto& h : helpers) h.join();
  if (regular != names.size()) {
    std::fprintf(stderr, "stat_floor: %zu of %zu names are regular files\n", regular.load(),
                 names.size());
    return 1;
  }
  std::printf("%zu files, %u threads (%u)\n", names.size(), threads, sum & 1);
  return 0;
}

// The revision-header cache (model/revision_cache.hpp): the same headers as a full parse,
// files re-parsed exactly when their stat changes, recent files never trusted, and a broken
// cache ignored.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "model/revision_cache.hpp"
#include "model/yaml/revision_io.hpp"

namespace fs = std::filesystem;
using distil::model::HeaderLoadStats;
using distil::model::load_revision_headers;
using distil::model::kRevisionCacheFile;

namespace {

struct Folder {
  fs::path dir = fs::temp_directory_path() / ("distil-cache-test-" + std::to_string(::getpid()));
  Folder() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Folder() { fs::remove_all(dir); }
  // Writes in place (same inode) and sets the mtime `age` seconds in the past.
  void write(const std::string& name, const std::string& text, int age = 60) const {
    {
      std::fstream f(dir / name, std::ios::in | std::ios::out | std::ios::binary);
      if (!f) f.open(dir / name, std::ios::out | std::ios::binary);
      f.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    struct utimbuf times {};
    times.actime = times.modtime = std::time(nullptr) - age;
    REQUIRE(::utime((dir / name).c_str(), &times) == 0);
  }
  // Sets the folder's mtime to `when` (its ctime becomes now, as always with utime).
  void set_folder_mtime(std::time_t when) const {
    struct utimbuf times {};
    times.actime = times.modtime = when;
    REQUIRE(::utime(dir.c_str(), &times) == 0);
  }
};

// Loads the headers, returning their ids and what the load did.
std::vector<std::string> load_ids(const fs::path& dir, HeaderLoadStats& stats) {
  auto headers = load_revision_headers(dir, &stats);
  REQUIRE_MESSAGE(headers, (headers ? std::string() : headers.error().message));
  std::vector<std::string> ids;
  for (const auto& h : *headers) ids.push_back(h.id);
  return ids;
}

std::string revision(const std::string& id, const std::string& down, const std::string& message) {
  return "revision: \"" + id + "\"\ndown_revision: " + (down.empty() ? "null" : "\"" + down + "\"") +
         "\nmessage: \"" + message + "\"\ncreate_date: 2026-11-26T00:00:00Z\nbranch_labels: [x]\n" +
         "upgrade:\n  - create_table: {name: t" + id + ", columns: [{name: id, type: integer, primary_key: true}]}\n" +
         "downgrade:\n  - drop_table: {name: t" + id + "}\n";
}

}  // namespace

TEST_CASE("headers from the cache equal a full parse, without ops") {
  Folder f;
  f.write("0001_a.yaml", revision("a1", "", "first, with commas and: colons"));
  f.write("0002_b.yaml", revision("b2", "a1", "second\nline"));
  auto full = distil::model::yaml::load_revisions(f.dir);
  REQUIRE_MESSAGE(full, (full ? std::string() : full.error().message));
  for (int pass = 0; pass < 2; ++pass) {  // pass 0 writes the cache, pass 1 reads it
    CAPTURE(pass);
    auto headers = load_revision_headers(f.dir);
    REQUIRE(headers);
    REQUIRE(headers->size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      const auto& h = (*headers)[i];
      const auto& r = (*full)[i];
      CHECK(h.id == r.id);
      CHECK(h.down_revisions == r.down_revisions);
      CHECK(h.message == r.message);
      CHECK(h.create_date == r.create_date);
      CHECK(h.branch_labels == r.branch_labels);
      CHECK(h.content_hash == r.content_hash);
      CHECK(h.number == r.number);
      CHECK(h.path == r.path);
      CHECK_FALSE(h.ops_loaded);
      CHECK(h.upgrade.empty());
    }
    CHECK(fs::exists(f.dir / kRevisionCacheFile));
  }
}

TEST_CASE("a cached file is not parsed again until its stat changes") {
  Folder f;
  std::string good = revision("a1", "", "first");
  f.write("0001_a.yaml", good);
  HeaderLoadStats s;
  REQUIRE(load_revision_headers(f.dir, &s));
  CHECK(s.parsed == 1);
  // Nothing changed: the cache answers.
  auto cached = load_revision_headers(f.dir, &s);
  REQUIRE(cached);
  CHECK(s.parsed == 0);
  CHECK((*cached)[0].id == "a1");
  // Rewritten in place at the same size, with its mtime set back to the same second: the
  // ctime moved, so it is parsed again, and the error is the file's own.
  std::string garbage(good.size(), '{');
  f.write("0001_a.yaml", garbage);
  auto reparsed = load_revision_headers(f.dir);
  REQUIRE_FALSE(reparsed);
  CHECK(reparsed.error().where.file == (f.dir / "0001_a.yaml").string());
}

TEST_CASE("a file modified in the last seconds is never trusted to the cache") {
  Folder f;
  std::string good = revision("a1", "", "first");
  f.write("0001_a.yaml", good, 0);
  REQUIRE(load_revision_headers(f.dir));
  f.write("0001_a.yaml", std::string(good.size(), '{'), 0);
  CHECK_FALSE(load_revision_headers(f.dir));
}

TEST_CASE("removed and added files, and a corrupt cache") {
  Folder f;
  f.write("0001_a.yaml", revision("a1", "", "first"));
  f.write("0002_b.yaml", revision("b2", "a1", "second"));
  REQUIRE(load_revision_headers(f.dir)->size() == 2);
  fs::remove(f.dir / "0002_b.yaml");
  f.write("0003_c.yaml", revision("c3", "a1", "third"));
  auto now = load_revision_headers(f.dir);
  REQUIRE(now);
  REQUIRE(now->size() == 2);
  CHECK((*now)[1].id == "c3");
  std::ofstream(f.dir / kRevisionCacheFile, std::ios::binary | std::ios::trunc)
      << "distil-revision-cache 1\n99999:short,";
  auto after = load_revision_headers(f.dir);
  REQUIRE(after);
  CHECK(after->size() == 2);
  CHECK((*after)[0].id == "a1");
}

// The folder's own stamp (size, mtime, inode, ctime) stands for its entries: while it is the
// one the cache recorded, the folder is not read again. Adding, removing or renaming a file
// changes it; so does restoring its mtime by hand (the ctime moves).
TEST_CASE("an unchanged folder is not read again, and every change to its entries is seen") {
  Folder f;
  f.write("0001_a.yaml", revision("a1", "", "first"));
  f.write("0002_b.yaml", revision("b2", "a1", "second"));
  const std::time_t old = std::time(nullptr) - 60;
  HeaderLoadStats s;
  // Records the folder's stamp once its mtime is out of the racy window (every change to its
  // entries sets the mtime to now); the cache lives in a subfolder, so rewriting it does
  // not change the stamp.
  auto settle = [&] {
    f.set_folder_mtime(old);
    load_ids(f.dir, s);
  };
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1", "b2"});
  CHECK(s.read_folder);
  CHECK(s.parsed == 2);
  settle();
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1", "b2"});
  CHECK_FALSE(s.read_folder);
  CHECK(s.parsed == 0);

  f.write("0003_c.yaml", revision("c3", "b2", "third"));  // added
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1", "b2", "c3"});
  CHECK(s.read_folder);
  CHECK(s.parsed == 1);

  settle();
  fs::remove(f.dir / "0002_b.yaml");  // removed
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1", "c3"});
  CHECK(s.read_folder);

  settle();
  fs::rename(f.dir / "0003_c.yaml", f.dir / "0004_c.yaml");  // renamed
  auto renamed = load_revision_headers(f.dir, &s);
  REQUIRE(renamed);
  CHECK(s.read_folder);
  CHECK(renamed->back().path == (f.dir / "0004_c.yaml").string());

  settle();
  f.write("0005_d.yaml", revision("d5", "c3", "fifth"));
  f.set_folder_mtime(old);  // the mtime the cache recorded, by hand: the ctime still moved
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1", "c3", "d5"});
  CHECK(s.read_folder);
}

TEST_CASE("a cache file of an earlier version is replaced by the cache's folder") {
  Folder f;
  f.write("0001_a.yaml", revision("a1", "", "first"));
  std::ofstream(f.dir / ".distil-cache", std::ios::binary) << "distil-revision-cache 1\n";
  HeaderLoadStats s;
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1"});
  CHECK(fs::is_directory(f.dir / ".distil-cache"));
  CHECK(fs::exists(f.dir / kRevisionCacheFile));
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1"});
  CHECK(s.parsed == 0);
}

TEST_CASE("a cached header that does not decode is parsed from its file again") {
  Folder f;
  f.write("0001_a.yaml", revision("a1", "", "first"));
  HeaderLoadStats s;
  REQUIRE(load_ids(f.dir, s) == std::vector<std::string>{"a1"});
  std::string cache;
  {
    std::ifstream in(f.dir / kRevisionCacheFile, std::ios::binary);
    cache.assign(std::istreambuf_iterator<char>(in), {});
  }
  // The header's own first field, the id, claims more bytes than the header holds; the
  // record around it keeps its length, so only the header is malformed.
  const auto at = cache.find(std::string("\x02\x00\x00\x00" "a1", 6));
  REQUIRE(at != std::string::npos);
  cache[at] = '\x7f';
  std::ofstream(f.dir / kRevisionCacheFile, std::ios::binary | std::ios::trunc) << cache;
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1"});
  CHECK(s.parsed == 1);
}

TEST_CASE("from 1000 files the stats and headers are shared among threads: an edit is still seen") {
  Folder f;
  constexpr int kFiles = 1200;  // over the threshold at which helper threads take batches
  auto name = [](int i) {
    char text[32];
    std::snprintf(text, sizeof text, "%05d_r.yaml", i);
    return std::string(text);
  };
  auto id = [](int i) { return "r" + std::to_string(i); };
  for (int i = 1; i <= kFiles; ++i) {
    f.write(name(i), revision(id(i), i == 1 ? "" : id(i - 1), "message " + std::to_string(i)));
  }
  HeaderLoadStats s;
  REQUIRE(load_ids(f.dir, s).size() == kFiles);
  CHECK(s.parsed == kFiles);
  // The folder's stamp is recorded once its mtime is out of the racy window (see above).
  f.set_folder_mtime(std::time(nullptr) - 60);
  REQUIRE(load_ids(f.dir, s).size() == kFiles);
  auto again = load_revision_headers(f.dir, &s);
  REQUIRE(again);
  CHECK_FALSE(s.read_folder);
  CHECK(s.parsed == 0);
  REQUIRE(again->size() == kFiles);
  for (int i : {1, 64, 65, 700, kFiles}) {  // either side of a batch's edge, and the ends
    CHECK((*again)[i - 1].id == id(i));
    CHECK((*again)[i - 1].message == "message " + std::to_string(i));
    CHECK((*again)[i - 1].path == (f.dir / name(i)).string());
  }
  // One file in the middle rewritten in place: only it is parsed again, and its new message
  // replaces the cached one.
  f.write(name(700), revision(id(700), id(699), "edited " + std::to_string(700)));
  auto edited = load_revision_headers(f.dir, &s);
  REQUIRE(edited);
  CHECK_FALSE(s.read_folder);
  CHECK(s.parsed == 1);
  CHECK((*edited)[699].message == "edited 700");
  CHECK((*edited)[698].message == "message 699");
  // A thread per core, at most 4, less the caller's busy threads (`current` reading the
  // database), at least 1: the same headers whatever the count.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  CHECK(s.threads == std::min(cores, 4u));
  for (unsigned busy : {1u, cores, 1000u}) {
    CAPTURE(busy);
    auto shared = load_revision_headers(f.dir, &s, busy);
    REQUIRE(shared);
    CHECK(s.threads == std::clamp(cores > busy ? cores - busy : 1u, 1u, 4u));
    REQUIRE(shared->size() == kFiles);
    CHECK((*shared)[699].message == "edited 700");
    CHECK((*shared)[kFiles - 1].id == id(kFiles));
  }
}

namespace {

std::string read_cache_text(const Folder& f) {
  std::ifstream in(f.dir / kRevisionCacheFile, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_cache_text(const Folder& f, const std::string& text) {
  std::ofstream(f.dir / kRevisionCacheFile, std::ios::binary | std::ios::trunc) << text;
}

// Loads until the cache holds the folder's stamp (the cache's own folder made, the folder's
// mtime out of the racy window), so that the next load takes only stats.
void load_until_trusted(const Folder& f, const std::vector<std::string>& ids) {
  HeaderLoadStats s;
  REQUIRE(load_ids(f.dir, s) == ids);
  f.set_folder_mtime(std::time(nullptr) - 60);
  REQUIRE(load_ids(f.dir, s) == ids);
  REQUIRE(load_ids(f.dir, s) == ids);
  REQUIRE_FALSE(s.read_folder);
  REQUIRE(s.parsed == 0);
}

}  // namespace

TEST_CASE("a cache written in the other byte order is not decoded") {
  Folder f;
  f.write("0001_a.yaml", revision("a1", "", "first"));
  load_until_trusted(f, {"a1"});
  std::string cache = read_cache_text(f);
  const std::string magic = "distil-revision-cache 4\n";
  REQUIRE(cache.starts_with(magic));
  std::reverse(cache.begin() + magic.size(), cache.begin() + magic.size() + 4);  // the mark
  write_cache_text(f, cache);
  HeaderLoadStats s;
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1"});
  CHECK(s.read_folder);
  CHECK(s.parsed == 1);
}

// The names in a cache are trusted as the folder's listing only while they are names the
// listing could hold: a name with a '/' would reach a file of another folder.
TEST_CASE("a cached name that is not a file of the folder drops the cache") {
  Folder f;
  fs::create_directory(f.dir / "x");
  f.write("x/00_a.yaml", revision("elsewhere", "", "not in the folder"));
  f.write("0001_a.yaml", revision("a1", "", "first"));
  load_until_trusted(f, {"a1"});
  std::string cache = read_cache_text(f);
  const auto at = cache.find("0001_a.yaml");
  REQUIRE(at != std::string::npos);
  cache.replace(at, 11, "x/00_a.yaml");  // the same length: the record stays well formed
  write_cache_text(f, cache);
  HeaderLoadStats s;
  CHECK(load_ids(f.dir, s) == std::vector<std::string>{"a1"});
  CHECK(s.read_folder);
}

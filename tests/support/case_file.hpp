// Golden case files in a txtar-like format: free header lines (`# key: value`), then
// sections, each opened by a line `-- name --` and running to the next such line. read_case
// keeps every line verbatim (each body ends in "\n"), so write_case(read_case(p)) rewrites p
// unchanged; update_golden() is true when DISTIL_UPDATE_GOLDEN=1, asking tests to rewrite
// their expected sections instead of comparing them.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace distil::testing {

struct Section {
  std::string name, body;
  int line = 0;  // line of the body's first line in the file (0 for a section added by set)
};

struct CaseFile {
  std::filesystem::path path;
  std::string header;
  std::vector<Section> sections;

  const Section* find(std::string_view name) const {
    auto it = std::find_if(sections.begin(), sections.end(),
                           [&](const Section& s) { return s.name == name; });
    return it == sections.end() ? nullptr : &*it;
  }
  void set(const std::string& name, const std::string& body) {
    for (Section& s : sections) {
      if (s.name == name) {
        s.body = body;
        return;
      }
    }
    sections.push_back({name, body, 0});
  }
  void erase(std::string_view name) {
    std::erase_if(sections, [&](const Section& s) { return s.name == name; });
  }
  // The value of a `# key: value` header line ("" if absent).
  std::string header_value(const std::string& key) const {
    const std::string prefix = "# " + key + ":";
    size_t at = header.find(prefix);
    if (at == std::string::npos) return {};
    size_t begin = at + prefix.size();
    while (begin < header.size() && header[begin] == ' ') ++begin;
    return header.substr(begin, header.find('\n', begin) - begin);
  }
};

// The section name of a `-- name --` line, nullopt for any other line.
inline std::optional<std::string> section_name(const std::string& line) {
  if (line.size() > 6 && line.starts_with("-- ") && line.ends_with(" --")) {
    return line.substr(3, line.size() - 6);
  }
  return std::nullopt;
}

inline CaseFile read_case(const std::filesystem::path& path) {
  CaseFile file{.path = path};
  std::ifstream in(path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto name = section_name(line)) {
      file.sections.push_back({*name, "", number + 1});
    } else if (file.sections.empty()) {
      file.header += line + "\n";
    } else {
      file.sections.back().body += line + "\n";
    }
  }
  return file;
}

inline void write_case(const CaseFile& file) {
  std::ofstream out(file.path, std::ios::trunc);
  out << file.header;
  for (const Section& s : file.sections) out << "-- " << s.name << " --\n" << s.body;
}

// The `*.case` files directly in dir, sorted by path.
inline std::vector<std::filesystem::path> case_paths(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".case") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

inline bool update_golden() {
  const char* env = std::getenv("DISTIL_UPDATE_GOLDEN");
  return env && std::string(env) == "1";
}

}  // namespace distil::testing

#include "cost/csv_line.h"

namespace tb {

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

Expected<std::vector<std::string>> split_csv_line(const std::string& line, const std::string& where) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    std::string field;
    std::size_t j = i;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    if (j < line.size() && line[j] == '"') {
      ++j;
      bool closed = false;
      while (j < line.size()) {
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            field += '"';
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        field += line[j++];
      }
      if (!closed) return bad_input(where + ": unterminated quoted field: expected a closing '\"' on the same line");
      while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
      if (j < line.size() && line[j] != ',') {
        return bad_input(where + ": text after a quoted field: expected ',' after the closing quote");
      }
    } else {
      const std::size_t comma = line.find(',', i);
      const std::size_t end = comma == std::string::npos ? line.size() : comma;
      field = trim(line.substr(i, end - i));
      if (field.find('"') != std::string::npos) {
        return bad_input(where + ": quote inside an unquoted field '" + field + "': quote the whole field");
      }
      j = end;
    }
    fields.push_back(std::move(field));
    if (j >= line.size()) break;
    i = j + 1;  // past the comma
    if (i == line.size()) {
      fields.emplace_back();
      break;
    }
  }
  return fields;
}

}  // namespace tb

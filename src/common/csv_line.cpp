#include "common/csv_line.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "common/echo.h"

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
        return bad_input(where + ": quote inside an unquoted field '" + echo_value(field) + "': quote the whole field");
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

Expected<std::optional<double>> parse_csv_number(const std::string& text, const std::string& column,
                                                 const std::string& where) {
  if (text.empty()) return std::optional<double>{};
  double value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || !std::isfinite(value) || first == last) {
    return bad_input(where + ": " + column + " '" + echo_value(text) +
                     "' is not a number: expected a decimal like 1.5");
  }
  return std::optional<double>{value};
}

Expected<std::vector<CsvRecord>> csv_records(const std::string& text, const std::string& path) {
  std::vector<CsvRecord> records;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    CsvRecord record;
    record.line = line_no;
    record.where = path + ":" + std::to_string(line_no);
    TB_ASSIGN_OR_RETURN(record.fields, split_csv_line(line, record.where));
    records.push_back(std::move(record));
  }
  return records;
}

Expected<std::map<std::string, std::size_t>> csv_header_columns(const CsvRecord& header,
                                                                std::span<const char* const> known,
                                                                std::span<const char* const> required,
                                                                const std::string& expected) {
  const auto is_in = [](std::span<const char* const> names, const std::string& name) {
    return std::find_if(names.begin(), names.end(), [&](const char* c) { return name == c; }) != names.end();
  };
  std::map<std::string, std::size_t> column_of;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string& name = header.fields[i];
    if (!is_in(known, name)) {
      return bad_input(header.where + ": unknown column '" + echo_value(name) + "': expected " + expected);
    }
    if (!column_of.emplace(name, i).second) {
      return bad_input(header.where + ": column '" + echo_value(name) + "' appears twice");
    }
  }
  for (const char* name : required) {
    if (!column_of.count(name)) return bad_input(header.where + ": missing required column '" + name + "'");
  }
  return column_of;
}

Status check_csv_field_count(const CsvRecord& record, std::size_t header_fields) {
  if (record.fields.size() == header_fields) return {};
  return bad_input(record.where + ": " + std::to_string(record.fields.size()) + " fields: expected " +
                   std::to_string(header_fields) + ", as in the header");
}

}  // namespace tb

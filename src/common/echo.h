// User input quoted in messages. Whatever a user or a file gave reaches the
// terminal printable (no control characters, no ANSI escape sequences, no NUL
// cutting a message short) and short (a 100 KB value is not echoed in full).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tb {

// Longest value echo_value() quotes in full (bytes).
inline constexpr std::size_t kMaxEchoBytes = 64;

// `text` with control characters escaped: \n, \t, \r and \0 as those two
// characters, every other C0 control, DEL and the C1 controls U+0080..U+009F
// (which some terminals obey) as \xNN per byte, and bytes that are not valid
// UTF-8 as \xNN. Printable ASCII, valid UTF-8 and backslashes pass unchanged.
std::string escape_control(std::string_view text);

// A value as an error message quotes it: escape_control(text) when `text` has
// at most kMaxEchoBytes bytes; otherwise the escaped first kMaxEchoBytes bytes
// (cut before a UTF-8 character that would not fit) and "... (N bytes)",
// N being text.size().
std::string echo_value(std::string_view text);

}  // namespace tb

// Internal to tb_html: appending escaped text to the page being built.
#pragma once

#include <string>
#include <string_view>

namespace tb::html {

// Appends html_escape(text) to `out` without a temporary string.
void append_escaped(std::string& out, std::string_view text);

// The first at most `max_bytes` bytes of `text`, shortened further so that a
// UTF-8 sequence is never cut in the middle.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// Appends <tag class="css_class">escaped text</tag> (no class attribute when css_class is empty).
void append_element(std::string& out, std::string_view tag, std::string_view css_class, std::string_view text);

}  // namespace tb::html

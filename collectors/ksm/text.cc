#include "collectors/ksm/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace kube9::collectors::ksm {

namespace {

char* WriteExponent(char* p, int exp) {
  *p++ = 'e';
  *p++ = exp < 0 ? '-' : '+';
  const int a = exp < 0 ? -exp : exp;
  if (a < 10) *p++ = '0';
  return std::to_chars(p, p + 4, a).ptr;
}

}  // namespace

char* WriteGoFloat(char* p, double v) {
  if (v == 0) {
    *p++ = '0';  // also -0, as Go's writer special-cases it
    return p;
  }
  if (std::isnan(v)) {
    std::memcpy(p, "NaN", 3);
    return p + 3;
  }
  if (std::isinf(v)) {
    std::memcpy(p, v > 0 ? "+Inf" : "-Inf", 4);
    return p + 4;
  }
  // Whole numbers, the common case (counts, flags, bytes, timestamps). Below 2^53 every integer
  // is a double of its own, so its shortest digits are its own digits without trailing zeros.
  constexpr double k2p53 = 9007199254740992.0;
  if (v > -k2p53 && v < k2p53 && v == static_cast<double>(static_cast<std::int64_t>(v))) {
    const auto i = static_cast<std::int64_t>(v);
    // Go's %g with the shortest precision uses %e from an exponent of 6 (strconv: "if shortest
    // { eprec = 6 }"): below 1e6 the integer as it is.
    if (i > -1000000 && i < 1000000) return std::to_chars(p, p + 8, i).ptr;
    if (i < 0) *p++ = '-';
    char digits[20] = {};
    char* end = std::to_chars(digits, digits + sizeof(digits), i < 0 ? -static_cast<std::uint64_t>(i)
                                                                      : static_cast<std::uint64_t>(i)).ptr;
    const int exp = static_cast<int>(end - digits) - 1;
    while (end > digits + 1 && end[-1] == '0') --end;
    *p++ = digits[0];
    if (end > digits + 1) {
      *p++ = '.';
      std::memcpy(p, digits + 1, static_cast<std::size_t>(end - digits - 1));
      p += end - digits - 1;
    }
    return WriteExponent(p, exp);
  }
  // The shortest digits that read back as `v`, in scientific form: [-]d[.ddd]e[+-]x.
  char sci[32];
  const char* const end = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific).ptr;
  const char* s = sci;
  if (*s == '-') {
    *p++ = '-';
    ++s;
  }
  const char* const e = std::find(s, end, 'e');
  char digits[24] = {};  // the significant digits without the point
  std::size_t n = 0;
  for (const char* c = s; c < e; ++c) {
    if (*c != '.') digits[n++] = *c;
  }
  int exp = 0;
  std::from_chars(e[1] == '+' ? e + 2 : e + 1, end, exp);
  if (exp < -4 || exp >= 6) {  // %e
    *p++ = digits[0];
    if (n > 1) {
      *p++ = '.';
      std::memcpy(p, digits + 1, n - 1);
      p += n - 1;
    }
    return WriteExponent(p, exp);
  }
  // %f with just the digits needed.
  if (exp < 0) {
    *p++ = '0';
    *p++ = '.';
    for (int z = 0; z < -exp - 1; ++z) *p++ = '0';
    std::memcpy(p, digits, n);
    return p + n;
  }
  const auto int_digits = static_cast<std::size_t>(exp) + 1;
  if (n <= int_digits) {
    std::memcpy(p, digits, n);
    p += n;
    for (std::size_t z = n; z < int_digits; ++z) *p++ = '0';
    return p;
  }
  std::memcpy(p, digits, int_digits);
  p += int_digits;
  *p++ = '.';
  std::memcpy(p, digits + int_digits, n - int_digits);
  return p + (n - int_digits);
}

void AppendGoFloat(std::string& out, double v) {
  char buf[kMaxGoFloat];
  out.append(buf, WriteGoFloat(buf, v));
}

void AppendEscaped(std::string& out, std::string_view v) {
  // One pass, copying runs between the bytes to escape (most values have none).
  const char* run = v.data();
  const char* const end = v.data() + v.size();
  for (const char* p = run; p < end; ++p) {
    const char c = *p;
    if (c == '\\' || c == '\n' || c == '"') {
      out.append(run, static_cast<std::size_t>(p - run));
      out += c == '\\' ? "\\\\" : c == '\n' ? "\\n" : "\\\"";
      run = p + 1;
    }
  }
  out.append(run, static_cast<std::size_t>(end - run));
}

void AppendLabelPair(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ',';
  out += key;
  out += "=\"";
  AppendEscaped(out, value);
  out += '"';
}

void TextWriter::PutLong(std::string_view s) {
  Flush();
  while (s.size() > capacity_) {  // a huge label value (an annotation): a buffer at a time
    std::memcpy(p_, s.data(), capacity_);
    p_ += capacity_;
    s.remove_prefix(capacity_);
    Flush();
  }
  std::memcpy(p_, s.data(), s.size());
  p_ += s.size();
}

void TextWriter::PutEscapedSlow(std::string_view v) {
  std::string escaped;
  AppendEscaped(escaped, v);
  Put(escaped);
}

void TextWriter::Header(std::string_view name, std::string_view help, bool stable, std::string_view type) {
  Put("# HELP ");
  Put(name);
  Put(' ');
  if (stable) Put("[STABLE] ");
  // HELP text escapes '\\' and '\n' only (kube-state-metrics' escapeHelp).
  for (char c : help) {
    if (c == '\\')
      Put("\\\\");
    else if (c == '\n')
      Put("\\n");
    else
      Put(c);
  }
  Put("\n# TYPE ");
  Put(name);
  Put(' ');
  Put(type);
  Put('\n');
}

}  // namespace kube9::collectors::ksm

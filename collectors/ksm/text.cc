#include "collectors/ksm/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace kube9::collectors::ksm {

void AppendGoFloat(std::string& out, double v) {
  if (v == 0) {
    out += '0';  // also -0, as Go's writer special-cases it
    return;
  }
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Whole numbers below 1e6 print as integers in Go's %g: the common case (counts, flags).
  if (v > -1e6 && v < 1e6 && v == static_cast<double>(static_cast<std::int64_t>(v))) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<std::int64_t>(v));
    (void)ec;
    out.append(buf, end);
    return;
  }
  // The shortest digits that read back as `v`, in scientific form: [-]d[.ddd]e[+-]x.
  char sci[32];
  auto [end, ec] = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  (void)ec;  // 32 bytes always hold a double
  const char* p = sci;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  const char* e = std::find(p, static_cast<const char*>(end), 'e');
  std::string digits;  // the significant digits without the point
  for (const char* c = p; c < e; ++c) {
    if (*c != '.') digits += *c;
  }
  int exp = 0;
  std::from_chars(e[1] == '+' ? e + 2 : e + 1, end, exp);
  // Go's %g with the shortest precision uses %e when the exponent is below -4 or at least 6
  // (strconv: "if shortest { eprec = 6 }"), %f otherwise.
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
    return;
  }
  // %f with just the digits needed.
  if (exp < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exp - 1), '0');
    out += digits;
    return;
  }
  const auto int_digits = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= int_digits) {
    out += digits;
    out.append(int_digits - digits.size(), '0');
  } else {
    out.append(digits, 0, int_digits);
    out += '.';
    out.append(digits, int_digits);
  }
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

void TextWriter::Header(std::string_view name, std::string_view help, bool stable, std::string_view type) {
  buf_ += "# HELP ";
  buf_ += name;
  buf_ += ' ';
  if (stable) buf_ += "[STABLE] ";
  // HELP text escapes '\\' and '\n' only (kube-state-metrics' escapeHelp).
  for (char c : help) {
    if (c == '\\')
      buf_ += "\\\\";
    else if (c == '\n')
      buf_ += "\\n";
    else
      buf_ += c;
  }
  buf_ += "\n# TYPE ";
  buf_ += name;
  buf_ += ' ';
  buf_ += type;
  buf_ += '\n';
}

}  // namespace kube9::collectors::ksm

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

// The exposition text of the kube-state-metrics-compatible families, written the way
// kube-state-metrics v2 writes it (its pkg/metric): HELP with "[STABLE] " for stable families,
// label values escaped as text format 0.0.4 asks, values as Go's strconv 'g' with the shortest
// precision. Byte-identical output is what lets the compatibility test diff every series.
namespace kube9::collectors::ksm {

// Appends `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does: "3", "0.5", "1e+06",
// "1.7649312e+09", "NaN", "+Inf".
void AppendGoFloat(std::string& out, double v);

// Appends a label value with '\\', '\n' and '"' escaped.
void AppendEscaped(std::string& out, std::string_view v);
// Whether `v` holds a byte AppendEscaped changes.
inline bool NeedsEscaping(std::string_view v) { return v.find_first_of("\\\n\"") != std::string_view::npos; }

// Receives the text in pieces of about `kChunk` bytes (the HTTP reply, a gzip stream, a test's
// string). Called on the scraping thread.
using TextSink = std::function<void(std::string_view)>;

// Writes series into a buffer that is handed to a sink whenever it passes kChunk, so a scrape
// never holds the whole text: one family's series of one object at a time go through it.
class TextWriter {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;
  explicit TextWriter(TextSink sink) : sink_(std::move(sink)) { buf_.reserve(kChunk + 4096); }
  ~TextWriter() { Flush(); }
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;

  // "# HELP name [STABLE] help\n# TYPE name gauge\n".
  void Header(std::string_view name, std::string_view help, bool stable, std::string_view type);

  // A series: Begin(name), then Label(k, v) for each label in order, then Value(v).
  TextWriter& Begin(std::string_view name) {
    buf_ += name;
    sep_ = '{';
    return *this;
  }
  TextWriter& Label(std::string_view key, std::string_view value) {
    LabelStart(key);
    AppendEscaped(buf_, value);
    buf_ += '"';
    return *this;
  }
  // A label whose value the caller has checked needs no escaping (NeedsEscaping is false).
  TextWriter& LabelVerbatim(std::string_view key, std::string_view value) {
    LabelStart(key);
    buf_ += value;
    buf_ += '"';
    return *this;
  }
  void Value(double v) {
    if (sep_ == ',') buf_ += '}';
    buf_ += ' ';
    AppendGoFloat(buf_, v);
    buf_ += '\n';
    if (buf_.size() >= kChunk) Flush();
  }

  void Flush() {
    if (buf_.empty()) return;
    sink_(buf_);
    buf_.clear();
  }

 private:
  void LabelStart(std::string_view key) {
    buf_ += sep_;
    buf_ += key;
    buf_ += "=\"";
    sep_ = ',';
  }

  TextSink sink_;
  std::string buf_;
  char sep_ = '{';
};

}  // namespace kube9::collectors::ksm

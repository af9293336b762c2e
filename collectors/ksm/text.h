#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
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
// The same into `p`, which has room for kMaxGoFloat bytes; returns the end.
inline constexpr std::size_t kMaxGoFloat = 32;
char* WriteGoFloat(char* p, double v);

// Appends a label value with '\\', '\n' and '"' escaped.
void AppendEscaped(std::string& out, std::string_view v);
// Whether `v` holds a byte AppendEscaped changes. Eight bytes at a time: every label value of a
// scrape goes through it (tens of millions at 10k pods), and a byte-by-byte loop was a tenth of
// the scrape's time.
inline bool NeedsEscaping(std::string_view v) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // Non-zero when a byte of `x` is `c` (a zero byte of x ^ c; exact as to whether there is one).
  auto has = [](std::uint64_t x, char c) {
    const std::uint64_t y = x ^ (kOnes * static_cast<unsigned char>(c));
    return (y - kOnes) & ~y & kHighs;
  };
  const char* p = v.data();
  std::size_t n = v.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    if ((has(x, '\\') | has(x, '\n') | has(x, '"')) != 0) return true;
  }
  for (; n > 0; ++p, --n) {
    if (*p == '\\' || *p == '\n' || *p == '"') return true;
  }
  return false;
}

// Appends `key="value"` (escaped) to pre-rendered label pairs, after a comma unless first: for
// TextWriter::Labels.
void AppendLabelPair(std::string& out, std::string_view key, std::string_view value);

// Receives the text in pieces of about `kChunk` bytes (the HTTP reply, a gzip stream, a test's
// string). Called on the scraping thread. A piece may end inside a series.
using TextSink = std::function<void(std::string_view)>;

// Takes a TextWriter's full buffer (its first `size` bytes are text) and puts an empty one of
// TextWriter::kCapacity bytes in its place: lets the text leave on another thread, with no copy,
// while the writer goes on into the next buffer. Called on the writing thread. When it throws,
// `buffer` is left as it was (its text is dropped).
class BufferExchange {
 public:
  virtual ~BufferExchange() = default;
  virtual void Exchange(std::unique_ptr<char[]>& buffer, std::size_t size) = 0;
};

// Writes series into a buffer that is handed to a sink (or exchanged) whenever it passes
// kChunk, so a scrape never holds the whole text: one family's series of one object at a time
// go through it.
// Tens of millions of small appends per scrape at 10k pods: each is a bounds check and a copy
// into a fixed buffer (a std::string's append costs several times that).
class TextWriter {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;
  // A chunk and room for the series that crosses kChunk; a longer one is handed over in parts.
  static constexpr std::size_t kCapacity = kChunk + 16 * 1024;
  explicit TextWriter(TextSink sink)
      : sink_(std::move(sink)), buf_(new char[kCapacity]), p_(buf_.get()), end_(buf_.get() + kCapacity) {}
  explicit TextWriter(BufferExchange& exchange)
      : exchange_(&exchange), buf_(new char[kCapacity]), p_(buf_.get()), end_(buf_.get() + kCapacity) {}
  ~TextWriter() { Flush(); }
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;

  // "# HELP name [STABLE] help\n# TYPE name gauge\n".
  void Header(std::string_view name, std::string_view help, bool stable, std::string_view type);

  // A series: Begin(name), then Label(k, v) for each label in order, then Value(v).
  TextWriter& Begin(std::string_view name) {
    Put(name);
    sep_ = '{';
    return *this;
  }
  TextWriter& Label(std::string_view key, std::string_view value) {
    LabelStart(key);
    PutEscaped(value);
    Put('"');
    return *this;
  }
  // Labels rendered beforehand by AppendLabelPair (an object's identity, the same in each of
  // its series), as the first labels.
  TextWriter& Labels(std::string_view pairs) {
    Put('{');
    Put(pairs);
    sep_ = ',';
    return *this;
  }
  // A label whose value the caller has checked needs no escaping (NeedsEscaping is false).
  TextWriter& LabelVerbatim(std::string_view key, std::string_view value) {
    LabelStart(key);
    Put(value);
    Put('"');
    return *this;
  }
  void Value(double v) {
    if (static_cast<std::size_t>(end_ - p_) < kMaxGoFloat + 3) Flush();
    if (sep_ == ',') *p_++ = '}';
    *p_++ = ' ';
    p_ = WriteGoFloat(p_, v);
    *p_++ = '\n';
    if (static_cast<std::size_t>(p_ - buf_.get()) >= kChunk) Flush();
  }

  void Flush() {
    if (p_ == buf_.get()) return;
    const auto size = static_cast<std::size_t>(p_ - buf_.get());
    if (exchange_ != nullptr) {
      p_ = buf_.get();  // empty from here on, whatever Exchange does (it may throw)
      exchange_->Exchange(buf_, size);
      p_ = buf_.get();
      end_ = p_ + kCapacity;
      return;
    }
    sink_(std::string_view(buf_.get(), size));
    p_ = buf_.get();
  }

 private:
  void Put(char c) {
    if (p_ == end_) Flush();
    *p_++ = c;
  }
  void Put(std::string_view s) {
    if (s.size() > static_cast<std::size_t>(end_ - p_)) {
      PutLong(s);
      return;
    }
    if (s.empty()) return;  // an empty view's data() may be null, which memcpy must not get
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void PutLong(std::string_view s);
  void PutEscaped(std::string_view v) {
    if (NeedsEscaping(v)) {
      PutEscapedSlow(v);
      return;
    }
    Put(v);
  }
  void PutEscapedSlow(std::string_view v);
  void LabelStart(std::string_view key) {
    if (key.size() + 3 > static_cast<std::size_t>(end_ - p_)) Flush();
    *p_++ = sep_;
    std::memcpy(p_, key.data(), key.size());
    p_ += key.size();
    p_[0] = '=';
    p_[1] = '"';
    p_ += 2;
    sep_ = ',';
  }

  TextSink sink_;                       // or
  BufferExchange* exchange_ = nullptr;  // when set
  std::unique_ptr<char[]> buf_;
  char* p_;
  char* end_;
  char sep_ = '{';
};

}  // namespace kube9::collectors::ksm

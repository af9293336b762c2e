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
  auto any = [&has](std::uint64_t x) { return (has(x, '\\') | has(x, '\n') | has(x, '"')) != 0; };
  const char* p = v.data();
  const std::size_t n = v.size();
  std::uint64_t x = 0;  // zero bytes match none of the three
  if (n < 8) {
    // The short values (most of them) in one word: a byte-by-byte tail was a quarter of Label.
    if (n >= 4) {
      std::uint32_t head, tail;
      std::memcpy(&head, p, 4);
      std::memcpy(&tail, p + n - 4, 4);
      x = head | (static_cast<std::uint64_t>(tail) << 32);
    } else if (n > 0) {
      x = static_cast<unsigned char>(p[0]) | (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
          (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16);
    }
    return any(x);
  }
  for (std::size_t at = 0; at + 8 <= n; at += 8) {
    std::memcpy(&x, p + at, 8);
    if (any(x)) return true;
  }
  std::memcpy(&x, p + n - 8, 8);  // the last bytes, overlapping the words before
  return any(x);
}

// Appends `key="value"` (escaped) to pre-rendered label pairs, after a comma unless first: for
// TextWriter::Labels.
void AppendLabelPair(std::string& out, std::string_view key, std::string_view value);

// Receives the text in pieces of about `kChunk` bytes (the HTTP reply, a gzip stream, a test's
// string). Called on the scraping thread. A piece may end inside a series.
using TextSink = std::function<void(std::string_view)>;

// Takes a TextWriter's full buffer (its first `size` bytes are text) and puts an empty one of
// TextWriter::CapacityFor(Chunk()) bytes in its place: lets the text leave on another thread,
// with no copy, while the writer goes on into the next buffer. Called on the writing thread.
// When it throws, `buffer` is left as it was (its text is dropped).
class BufferExchange {
 public:
  virtual ~BufferExchange() = default;
  // The text a buffer takes before it is exchanged (the writer's chunk).
  virtual std::size_t Chunk() const = 0;
  virtual void Exchange(std::unique_ptr<char[]>& buffer, std::size_t size) = 0;
};

// Copies `n` bytes to `to` and returns the end. The text is written in pieces of a few to a
// hundred bytes (label names and values, an object's identity), where a call into the C
// library's memcpy costs more than the copy: up to 128 bytes are copied here in 8- and 16-byte
// moves whose last one overlaps the one before (never a byte outside either range).
inline char* CopyText(char* to, const char* from, std::size_t n) {
  if (n <= 16) {
    if (n >= 8) {
      std::uint64_t head, tail;
      std::memcpy(&head, from, 8);
      std::memcpy(&tail, from + n - 8, 8);
      std::memcpy(to, &head, 8);
      std::memcpy(to + n - 8, &tail, 8);
    } else if (n >= 4) {
      std::uint32_t head, tail;
      std::memcpy(&head, from, 4);
      std::memcpy(&tail, from + n - 4, 4);
      std::memcpy(to, &head, 4);
      std::memcpy(to + n - 4, &tail, 4);
    } else if (n > 0) {
      to[0] = from[0];
      to[n / 2] = from[n / 2];
      to[n - 1] = from[n - 1];
    }
    return to + n;
  }
  if (n > 128) {
    std::memcpy(to, from, n);
    return to + n;
  }
  struct Block {
    char bytes[16];
  };
  Block b;
  for (std::size_t at = 0; at + 16 < n; at += 16) {
    std::memcpy(&b, from + at, 16);
    std::memcpy(to + at, &b, 16);
  }
  std::memcpy(&b, from + n - 16, 16);
  std::memcpy(to + n - 16, &b, 16);
  return to + n;
}

// Writes series into a buffer that is handed to a sink (or exchanged) whenever it passes
// kChunk, so a scrape never holds the whole text: one family's series of one object at a time
// go through it.
// Tens of millions of small appends per scrape at 10k pods: each is a bounds check and a copy
// into a fixed buffer (a std::string's append costs several times that).
class TextWriter {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;  // a sink's pieces
  // A buffer: a chunk and room for the series that crosses it (a longer one is handed over in
  // parts).
  static constexpr std::size_t kSlack = 16 * 1024;
  static constexpr std::size_t CapacityFor(std::size_t chunk) { return chunk + kSlack; }
  static constexpr std::size_t kCapacity = kChunk + kSlack;
  explicit TextWriter(TextSink sink) : TextWriter(kChunk) { sink_ = std::move(sink); }
  // Buffers of the exchange's chunk.
  explicit TextWriter(BufferExchange& exchange) : TextWriter(exchange.Chunk()) { exchange_ = &exchange; }
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
    // Most values are flags and one-hot states: those two without the call.
    if (v == 0) {
      *p_++ = '0';  // also -0, as WriteGoFloat
    } else if (v == 1) {
      *p_++ = '1';
    } else {
      p_ = WriteGoFloat(p_, v);
    }
    *p_++ = '\n';
    if (static_cast<std::size_t>(p_ - buf_.get()) >= chunk_) Flush();
  }

  void Flush() {
    if (p_ == buf_.get()) return;
    const auto size = static_cast<std::size_t>(p_ - buf_.get());
    if (exchange_ != nullptr) {
      p_ = buf_.get();  // empty from here on, whatever Exchange does (it may throw)
      exchange_->Exchange(buf_, size);
      p_ = buf_.get();
      end_ = p_ + capacity_;
      return;
    }
    sink_(std::string_view(buf_.get(), size));
    p_ = buf_.get();
  }

 private:
  explicit TextWriter(std::size_t chunk)
      : chunk_(chunk),
        capacity_(CapacityFor(chunk)),
        buf_(new char[capacity_]),
        p_(buf_.get()),
        end_(buf_.get() + capacity_) {}
  void Put(char c) {
    if (p_ == end_) Flush();
    *p_++ = c;
  }
  void Put(std::string_view s) {
    if (s.size() > static_cast<std::size_t>(end_ - p_)) {
      PutLong(s);
      return;
    }
    p_ = CopyText(p_, s.data(), s.size());  // copies nothing for an empty view (data() may be null)
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
    p_ = CopyText(p_, key.data(), key.size());
    p_[0] = '=';
    p_[1] = '"';
    p_ += 2;
    sep_ = ',';
  }

  TextSink sink_;                       // or
  BufferExchange* exchange_ = nullptr;  // when set
  const std::size_t chunk_;
  const std::size_t capacity_;
  std::unique_ptr<char[]> buf_;
  char* p_;
  char* end_;
  char sep_ = '{';
};

}  // namespace kube9::collectors::ksm

#include "kube/list_decoder.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/bytes.h"

namespace kube9::kube {
namespace {

// Top-level keys are compared with "items" and "metadata" only: a longer one is cut (and then
// matches neither) rather than held whole, however long a server makes it.
constexpr std::size_t kMaxKey = 16;

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string StringMember(const rapidjson::Value& obj, const char* name) {
  auto m = obj.FindMember(name);
  return m != obj.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength())
                                                      : std::string();
}

}  // namespace

base::Expected<base::Ok, ApiError> ListDecoder::Fail(std::string message) {
  error_ = ApiError{ErrorKind::kDecode, 0, std::move(message), {}};
  buffer_.clear();
  buffer_.shrink_to_fit();
  return base::Unexpected(*error_);
}

base::Expected<base::Ok, ApiError> ListDecoder::OverLimit(std::string why) {
  if (capture_ == Capture::kMetadata) return Fail("LIST metadata " + why);
  skipping_ = true;
  skip_reason_ = std::move(why);
  buffer_.clear();
  buffer_.shrink_to_fit();  // up to max_bytes, held for nothing
  return base::Ok{};
}

base::Expected<base::Ok, ApiError> ListDecoder::EndCapture() {
  const Capture what = capture_;
  capture_ = Capture::kNone;
  if (skipping_) {
    skipping_ = false;
    ++skipped_;
    largest_skipped_ = std::max(largest_skipped_, capture_bytes_);
    return base::Ok{};
  }
  rapidjson::Document doc;
  if (auto parsed = base::ParseJson(doc, buffer_, limits_); !parsed.ok()) {
    return Fail((what == Capture::kItem ? "LIST item " : "LIST metadata ") + parsed.error());
  }
  if (what == Capture::kMetadata) {
    resource_version_ = StringMember(doc, "resourceVersion");
    continue_ = StringMember(doc, "continue");
    metadata_seen_ = true;
  } else {
    if (!doc.IsObject()) return Fail("LIST item is not an object");
    visit_(doc);
    ++items_;
  }
  buffer_.clear();  // keeps its capacity for the next item
  return base::Ok{};
}

base::Expected<base::Ok, ApiError> ListDecoder::Feed(std::string_view chunk) {
  if (error_) return base::Unexpected(*error_);
  for (char c : chunk) {
    if (capture_ != Capture::kNone) {
      ++capture_bytes_;
      if (skipping_) {
        // counted, not kept
      } else if (buffer_.size() < limits_.max_bytes) {
        buffer_.push_back(c);
      } else if (auto r = OverLimit(fmt::format("is larger than {}", base::FormatBytes(limits_.max_bytes))); !r.ok()) {
        return r;
      }
    }
    if (in_string_) {
      if (escape_) {
        escape_ = false;
        if (reading_key_ && key_.size() < kMaxKey) key_.push_back(c);
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
        reading_key_ = false;
      } else if (reading_key_ && key_.size() < kMaxKey) {
        key_.push_back(c);
      }
      continue;
    }
    if (IsSpace(c)) continue;
    if (done_) return Fail("LIST response has data after its end");
    if (depth_ == 0 && c != '{') return Fail("LIST response is not a JSON object");
    switch (c) {
      case '"':
        in_string_ = true;
        if (depth_ == 1 && expect_key_) {
          reading_key_ = true;
          key_.clear();
        }
        break;
      case ':':
        if (depth_ == 1) {
          expect_key_ = false;
          if (key_ == "items") items_seen_ = true;
        }
        break;
      case ',':
        if (depth_ == 1) expect_key_ = true;
        break;
      case '{':
      case '[':
        if (depth_ == 1 && key_ == "metadata" && !expect_key_) {
          if (c != '{') return Fail("LIST metadata is not an object");
          capture_ = Capture::kMetadata;
          capture_depth_ = depth_;
          capture_bytes_ = 1;
          buffer_.assign(1, c);
        } else if (depth_ == 1 && key_ == "items" && !expect_key_) {
          if (c != '[') return Fail("LIST items is not an array");
          in_items_ = true;
        } else if (depth_ == 2 && in_items_ && capture_ == Capture::kNone) {
          capture_ = Capture::kItem;
          capture_depth_ = depth_;
          capture_bytes_ = 1;
          buffer_.assign(1, c);
        }
        ++depth_;
        if (capture_ != Capture::kNone && !skipping_ && depth_ - capture_depth_ > limits_.max_depth) {
          if (auto r = OverLimit(fmt::format("nests deeper than {} levels", limits_.max_depth)); !r.ok()) return r;
        }
        if (depth_ == 1) expect_key_ = true;
        break;
      case '}':
      case ']':
        if (--depth_ < 0) return Fail("LIST response has unbalanced brackets");
        if (capture_ != Capture::kNone && depth_ == capture_depth_) {
          if (auto r = EndCapture(); !r.ok()) return r;
        }
        if (depth_ == 1 && in_items_ && c == ']') in_items_ = false;
        if (depth_ == 0) done_ = true;
        break;
      default:
        // A scalar: only allowed as a top-level value (kind, apiVersion, "items": null) or
        // inside a captured or skipped value.
        if (depth_ == 2 && in_items_ && capture_ == Capture::kNone) return Fail("LIST item is not an object");
        if (depth_ == 1 && expect_key_) return Fail("LIST response is not valid JSON");
        break;
    }
  }
  return base::Ok{};
}

base::Expected<base::Ok, ApiError> ListDecoder::Finish() {
  if (error_) return base::Unexpected(*error_);
  if (!done_) return Fail(depth_ == 0 ? "LIST response is empty" : "LIST response is truncated");
  if (!items_seen_) return Fail("LIST response has no items array");
  if (!metadata_seen_) return Fail("LIST response has no metadata");
  return base::Ok{};
}

}  // namespace kube9::kube

#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/expected.h"
#include "base/json.h"
#include "kube/api_error.h"
#include "kube/limits.h"

namespace kube9::kube {

// Decodes a LIST response (`{"kind":..., "metadata":{...}, "items":[...]}`) as it streams in,
// holding at most one item in memory: each item's bytes are cut out of the stream, parsed on
// their own and handed to the visitor, then dropped. Top-level keys may come in any order;
// chunks may split anything anywhere. Not thread-safe: one per response.
//
// An item larger or deeper than `limits` is skipped: its bytes are counted as they stream
// past, never buffered beyond the limit, and the rest of the list is decoded. Failing the page
// instead would relist forever over one object that will not shrink; skipping converges.
class ListDecoder {
 public:
  using ItemVisitor = std::function<void(const rapidjson::Value& item)>;
  explicit ListDecoder(ItemVisitor visit, base::JsonLimits limits = kObjectJson)
      : visit_(std::move(visit)), limits_(limits) {}

  // Feeds the next bytes. After an error, the decoder ignores further input.
  base::Expected<base::Ok, ApiError> Feed(std::string_view chunk);
  // The response is complete: checks that it was a whole list.
  base::Expected<base::Ok, ApiError> Finish();

  const std::string& resource_version() const { return resource_version_; }
  const std::string& continue_token() const { return continue_; }
  std::size_t items() const { return items_; }
  // Items skipped for their size or nesting, the largest one's bytes, and why (the last).
  std::size_t skipped() const { return skipped_; }
  std::size_t largest_skipped_bytes() const { return largest_skipped_; }
  const std::string& skip_reason() const { return skip_reason_; }

 private:
  enum class Capture { kNone, kMetadata, kItem };

  base::Expected<base::Ok, ApiError> Fail(std::string message);
  base::Expected<base::Ok, ApiError> EndCapture();
  // The captured value passed the limits: an item is skipped, the list's metadata fails it.
  base::Expected<base::Ok, ApiError> OverLimit(std::string why);

  ItemVisitor visit_;
  base::JsonLimits limits_;
  std::optional<ApiError> error_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool reading_key_ = false;  // a key string of the top-level object
  bool expect_key_ = false;   // at depth 1, the next string is a key
  bool done_ = false;
  bool in_items_ = false;
  bool items_seen_ = false;
  bool metadata_seen_ = false;
  std::string key_;           // current top-level key
  Capture capture_ = Capture::kNone;
  int capture_depth_ = 0;     // depth outside the captured value
  std::string buffer_;        // the captured value's bytes
  std::size_t capture_bytes_ = 0;  // all of them, also those of an item being skipped
  bool skipping_ = false;     // the captured item passed the limits: counted, not kept
  std::string resource_version_;
  std::string continue_;
  std::size_t items_ = 0;
  std::size_t skipped_ = 0;
  std::size_t largest_skipped_ = 0;
  std::string skip_reason_;
};

}  // namespace kube9::kube

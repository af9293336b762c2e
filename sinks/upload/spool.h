#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "sinks/upload/observer.h"

namespace kube9::sinks::upload {

// A bounded, crash-safe on-disk FIFO of payloads waiting to be uploaded: one file per payload,
// named `<seq, 16 digits>.<type>.<collection id>.json.gz`, holding the gzip-compressed request
// body exactly as it will be sent. A file is written under a temporary name, fsynced and
// renamed into place (then the directory is fsynced), so a crash leaves either the whole
// payload or a temporary file that the next Open() removes. Thread-safe.
class Spool {
 public:
  struct Item {
    std::uint64_t seq = 0;
    std::string type;           // e.g. "metrics-batch"
    std::string collection_id;  // e.g. "coll_" + 32 hex; the upload's Idempotency-Key
    std::uint64_t bytes = 0;
  };
  struct ReadError {
    std::string message;
    // The file is missing or shorter than stored: it can never be read. Otherwise (out of file
    // descriptors, an I/O error, ...) a later read may succeed.
    bool gone = false;
  };

  // Creates `dir` (mode 0700) when missing and loads the payloads left by a previous run,
  // oldest first. `observer` may be null; it must outlive the spool.
  static base::Expected<std::unique_ptr<Spool>, std::string> Open(std::string dir, std::uint64_t max_bytes,
                                                                   SpoolObserver* observer);

  // Stores a payload at the end of the queue, dropping the oldest ones (counted as
  // "spool_full") until it fits. A payload larger than the whole spool is refused ("too_large").
  // `type` is lower-case letters, digits and '-'; `collection_id` letters, digits and '_'.
  base::Expected<Item, std::string> Put(std::string_view type, std::string_view collection_id,
                                        std::string_view gzip_body);

  std::vector<Item> List() const;  // oldest first
  // The first item, oldest first, for which `pick` returns true; nothing is copied on the way,
  // so that taking from a spool of thousands stays cheap. `pick` runs under the spool's lock.
  std::optional<Item> FindFirst(const std::function<bool(const Item&)>& pick) const;
  bool Contains(std::uint64_t seq) const;
  base::Expected<std::string, ReadError> Read(const Item& item) const;
  // Forgets a payload that was delivered. False when it was no longer spooled.
  bool Remove(const Item& item);
  // Forgets a payload that will never be delivered, counting it under `reason`.
  bool Drop(const Item& item, std::string_view reason);

  std::uint64_t bytes() const;
  std::size_t items() const;
  const std::string& dir() const { return dir_; }

 private:
  Spool(std::string dir, std::uint64_t max_bytes, SpoolObserver* observer);
  std::string PathOf(const Item& item) const;
  // The following need mu_ held.
  bool EraseLocked(const Item& item, std::string_view drop_reason);
  void NotifyLocked();

  const std::string dir_;
  const std::uint64_t max_bytes_;
  SpoolObserver* const observer_;
  mutable std::mutex mu_;
  std::map<std::uint64_t, Item> items_;  // by seq: oldest first
  std::uint64_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
};

}  // namespace kube9::sinks::upload

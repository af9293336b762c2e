#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kube9::sinks::upload {

// Told what the spool holds and what it gave up on, for self metrics. Called with the spool's
// lock held, from whichever thread changed it: implementations must be quick and must not call
// back into the spool.
class SpoolObserver {
 public:
  virtual ~SpoolObserver() = default;
  virtual void OnSpoolChanged(std::uint64_t bytes, std::size_t items) = 0;
  // A payload that will never be sent. Reasons: "spool_full" (the oldest made room for a newer
  // one), "too_large" (bigger than the spool, or refused by the server and not splittable),
  // "rejected" (a permanent 4xx), "unreadable" and "io_error" (the disk failed us).
  virtual void OnDrop(std::string_view type, std::string_view reason) = 0;
};

// Told about every upload attempt, for self metrics. Called from the uploader's workers.
class UploadObserver {
 public:
  virtual ~UploadObserver() = default;
  // One attempt that got an answer (bytes = body bytes on the wire; 0 when no HTTP response
  // came back). Results: "success", "retry" (408, 429, 5xx, no response), "rejected" (a
  // permanent 4xx, the payload is dropped), "split" (413, the batch was halved),
  // "unauthorized" (401/403, the payload is kept and uploads stop).
  virtual void OnUpload(std::string_view type, std::string_view result, std::uint64_t bytes) = 0;
  // The payload will be sent again after a backoff.
  virtual void OnRetry(std::string_view type) = 0;
};

}  // namespace kube9::sinks::upload

#pragma once

#include <cstdint>
#include <string_view>

namespace kube9::sinks::events {

// Told what the events history does, for its self metrics. Called from the watch thread
// (drops of a full queue) and the writer thread; implementations are thread-safe.
class HistoryObserver {
 public:
  virtual ~HistoryObserver() = default;
  // Events written (a new row or a repeat updating its row), by severity.
  virtual void OnRecorded(std::string_view severity, std::uint64_t events) = 0;
  // Events lost: "queue_full", "disk_full", "write_error", "corrupt" (the batch in flight
  // when the store was found damaged), "store_unavailable", "too_large" (an event the client
  // could not read: over its size or nesting bound).
  virtual void OnDropped(std::string_view reason, std::uint64_t events) = 0;
  // One prune run ("age" or "size") and the rows it deleted.
  virtual void OnPrune(std::string_view reason, std::uint64_t rows) = 0;
  // A store file moved aside and recreated: "corrupt" or "unreadable".
  virtual void OnRecovery(std::string_view reason) = 0;
  virtual void OnStoreSize(std::uint64_t rows, std::uint64_t bytes) = 0;
};

}  // namespace kube9::sinks::events

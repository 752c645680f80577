#include "daemon/store/records.h"

namespace agentdraft::store {

namespace {
struct StateName {
  ClaimState state;
  const char* name;
};
constexpr StateName kStateNames[] = {
    {ClaimState::kCommitted, "COMMITTED"}, {ClaimState::kCancelled, "CANCELLED"},
    {ClaimState::kEvicted, "EVICTED"},     {ClaimState::kHeld, "HELD"},
    {ClaimState::kReleased, "RELEASED"},   {ClaimState::kExpired, "EXPIRED"},
    {ClaimState::kDisplaced, "DISPLACED"}, {ClaimState::kConverted, "CONVERTED"},
};
}  // namespace

const char* ClaimStateName(ClaimState s) {
  for (const StateName& n : kStateNames) {
    if (n.state == s) return n.name;
  }
  return "UNKNOWN";
}

bool ParseClaimState(const std::string& name, ClaimState* out) {
  for (const StateName& n : kStateNames) {
    if (name == n.name) {
      *out = n.state;
      return true;
    }
  }
  return false;
}

bool IsActive(ClaimState s) { return s == ClaimState::kCommitted || s == ClaimState::kHeld; }

const char* CounterStateName(CounterState s) {
  switch (s) {
    case CounterState::kPending: return "PENDING";
    case CounterState::kAccepted: return "ACCEPTED";
    case CounterState::kRejected: return "REJECTED";
    case CounterState::kExpired: return "EXPIRED";
  }
  return "PENDING";
}

bool ParseCounterState(const std::string& name, CounterState* out) {
  for (CounterState s : {CounterState::kPending, CounterState::kAccepted, CounterState::kRejected,
                         CounterState::kExpired}) {
    if (name == CounterStateName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

const char* DeliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kFailed: return "failed";
  }
  return "pending";
}

bool ParseDeliveryState(const std::string& name, DeliveryState* out) {
  for (DeliveryState s : {DeliveryState::kPending, DeliveryState::kDelivered, DeliveryState::kFailed}) {
    if (name == DeliveryStateName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

}  // namespace agentdraft::store

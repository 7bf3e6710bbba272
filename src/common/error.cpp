#include "common/error.h"

namespace tb {

int exit_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadInput:
    case ErrorCode::kUnavailable:
    case ErrorCode::kIo:
      return 2;
    case ErrorCode::kRunFailure:
      return 1;
  }
  return 1;
}

}  // namespace tb

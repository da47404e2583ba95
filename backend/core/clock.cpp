#include "clock.h"

#include <QDateTime>

namespace fleetdeck {

std::int64_t SystemClock::nowUnixMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

}  // namespace fleetdeck

#include "logging.h"

Q_LOGGING_CATEGORY(lcCore, "fleetdeck.core", QtInfoMsg)
Q_LOGGING_CATEGORY(lcKafka, "fleetdeck.kafka", QtInfoMsg)
Q_LOGGING_CATEGORY(lcServer, "fleetdeck.ws", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSim, "fleetdeck.sim", QtInfoMsg)
Q_LOGGING_CATEGORY(lcClient, "fleetdeck.client", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMap, "fleetdeck.map", QtInfoMsg)
Q_LOGGING_CATEGORY(lcTeleop, "fleetdeck.teleop", QtInfoMsg)

namespace fleetdeck {

bool RateLimitedLog::shouldLog(std::int64_t nowMs, quint64 *suppressed)
{
    if (m_lastMs >= 0 && nowMs - m_lastMs < m_intervalMs) {
        ++m_suppressed;
        return false;
    }
    *suppressed = m_suppressed;
    m_suppressed = 0;
    m_lastMs = nowMs;
    return true;
}

}  // namespace fleetdeck

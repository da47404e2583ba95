#pragma once

#include <QLoggingCategory>

// One logging category per library; enable with QT_LOGGING_RULES="fleetdeck.kafka.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcCore)
Q_DECLARE_LOGGING_CATEGORY(lcKafka)
Q_DECLARE_LOGGING_CATEGORY(lcServer)
Q_DECLARE_LOGGING_CATEGORY(lcSim)
Q_DECLARE_LOGGING_CATEGORY(lcClient)
Q_DECLARE_LOGGING_CATEGORY(lcMap)
Q_DECLARE_LOGGING_CATEGORY(lcTeleop)

namespace fleetdeck {

// Lets a per-message fault be logged at most once per interval, counting what was suppressed.
// Thread: the owner's.
class RateLimitedLog
{
public:
    explicit RateLimitedLog(std::int64_t intervalMs = 5000) : m_intervalMs(intervalMs) {}
    // True when the caller should log now; `suppressed` then holds how many were skipped before.
    [[nodiscard]] bool shouldLog(std::int64_t nowMs, quint64 *suppressed);

private:
    std::int64_t m_intervalMs;
    std::int64_t m_lastMs = -1;
    quint64 m_suppressed = 0;
};

}  // namespace fleetdeck

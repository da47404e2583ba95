#include "telemetrymailbox.h"

#include <QMutexLocker>

namespace fleetdeck {

void TelemetryMailbox::put(std::vector<RobotState> &&batch)
{
    quint64 coalesced = 0;
    {
        QMutexLocker lock(&m_mutex);
        for (RobotState &sample : batch) {
            const auto found = m_indexById.constFind(sample.robotId);
            if (found == m_indexById.cend()) {
                m_indexById.insert(sample.robotId, m_pending.size());
                m_pending.push_back(std::move(sample));
            } else {
                RobotState &pending = m_pending[*found];
                if (isNewerSample(sample, pending))
                    pending = std::move(sample);
                ++coalesced;
            }
        }
    }
    m_received.fetch_add(batch.size(), std::memory_order_relaxed);
    m_coalesced.fetch_add(coalesced, std::memory_order_relaxed);
}

std::vector<RobotState> TelemetryMailbox::take()
{
    std::vector<RobotState> taken;
    QMutexLocker lock(&m_mutex);
    taken.swap(m_pending);
    m_indexById.clear();
    m_pending.reserve(taken.size());
    return taken;
}

}  // namespace fleetdeck

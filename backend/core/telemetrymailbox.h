#pragma once

#include "robotstate.h"

#include <QHash>
#include <QMutex>

#include <atomic>
#include <vector>

namespace fleetdeck {

// Latest-value mailbox between the Kafka consumer thread and the main thread: holds at most one
// pending sample per robot, so memory is bounded by fleet size whatever the message rate, and a
// main thread that falls behind skips intermediate samples instead of queueing them.
// Thread: any (locked).
class TelemetryMailbox
{
public:
    // Adds a batch under one lock; a newer sample for a robot replaces the pending one.
    void put(std::vector<RobotState> &&batch);
    // Everything pending (one sample per robot), leaving the mailbox empty.
    [[nodiscard]] std::vector<RobotState> take();

    [[nodiscard]] quint64 receivedCount() const { return m_received.load(std::memory_order_relaxed); }
    // Samples replaced before the main thread took them.
    [[nodiscard]] quint64 coalescedCount() const { return m_coalesced.load(std::memory_order_relaxed); }

private:
    QMutex m_mutex;
    std::vector<RobotState> m_pending;
    QHash<QString, std::size_t> m_indexById;
    std::atomic<quint64> m_received{0};
    std::atomic<quint64> m_coalesced{0};
};

}  // namespace fleetdeck

#pragma once

#include "robotstate.h"

#include <QHash>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace fleetdeck {

// When silence makes a robot's data stale, then lost.
struct FreshnessPolicy {
    std::int64_t staleAfterMs = 5'000;
    std::int64_t lostAfterMs = 30'000;
};

// The latest state of every robot the backend has heard of, with what changed since the last
// takeChanges(). Robots are never removed: a robot that goes silent turns stale, then lost, and
// stays visible. Each robot keeps the slot it was given first, so consoles can address it by index.
// Thread: main (owned by the server's tick).
class FleetStore
{
public:
    struct Change {
        std::uint32_t slot = 0;
        std::uint32_t groups = 0;  // FieldGroup bits
        // The Freshness group also changes with every sample's timestamps; this says whether the
        // freshness *state* (live, stale, lost) changed, which every console needs to hear.
        bool freshnessStateChanged = false;
        // Where the robot was before this round of changes, so a console watching a viewport also
        // hears of a robot that just left it.
        double previousLatDeg = 0;
        double previousLonDeg = 0;
    };

    using FreshnessPolicy = fleetdeck::FreshnessPolicy;

    explicit FleetStore(FreshnessPolicy policy = {}) : m_policy(policy) {}

    // Takes a decoded sample received at `receivedUnixMs`. Returns false (and changes nothing) when
    // it is not newer than what the store holds for that robot.
    bool apply(const RobotState &sample, std::int64_t receivedUnixMs);

    // Re-derives every robot's freshness from the age of its data at `nowUnixMs`.
    void updateFreshness(std::int64_t nowUnixMs);

    // What changed since the previous call, in slot order, and forgets it.
    [[nodiscard]] std::vector<Change> takeChanges();
    [[nodiscard]] bool hasChanges() const { return !m_dirtySlots.empty(); }

    [[nodiscard]] std::size_t size() const { return m_robots.size(); }
    [[nodiscard]] const RobotState &robot(std::uint32_t slot) const { return m_robots[slot]; }
    [[nodiscard]] const std::vector<RobotState> &robots() const { return m_robots; }
    [[nodiscard]] std::optional<std::uint32_t> slotOf(const QString &robotId) const;
    [[nodiscard]] const FreshnessPolicy &policy() const { return m_policy; }
    [[nodiscard]] std::size_t countIn(Freshness freshness) const;

private:
    void markDirty(std::uint32_t slot, std::uint32_t groups, bool freshnessStateChanged = false);
    [[nodiscard]] Freshness freshnessAt(const RobotState &robot, std::int64_t nowUnixMs) const;

    FreshnessPolicy m_policy;
    std::vector<RobotState> m_robots;
    QHash<QString, std::uint32_t> m_slotById;
    std::vector<std::uint32_t> m_pendingGroups;  // per slot
    std::vector<bool> m_pendingFreshnessState;   // per slot
    std::vector<std::pair<double, double>> m_previousPosition;  // per slot: at its first change since takeChanges()
    std::vector<std::uint32_t> m_dirtySlots;
};

}  // namespace fleetdeck

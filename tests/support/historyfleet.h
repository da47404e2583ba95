#pragma once

// A console's side of a small fleet for the history charts' tests (tst_robothistory, tst_historyplot):
// a RobotModel fed with fleet.v1 frames, a selection, and a RobotHistory on a clock the test moves.

#include "clock.h"
#include "codec.h"
#include "robothistory.h"
#include "robotmodel.h"
#include "robotselection.h"

#include <memory>
#include <vector>

namespace fleetdeck {

inline constexpr std::int64_t kStart = 1'700'000'000'000;

inline RobotState robot(int i)
{
    RobotState r;
    r.robotId = QStringLiteral("nb-%1").arg(i, 4, 10, QLatin1Char('0'));
    r.latDeg = 53.55 + i * 1e-4;
    r.lonDeg = 13.26;
    r.mode = Mode::Autonomous;
    r.batteryPct = 80;
    r.speedMps = 1.0f;
    r.linkRttMs = 60;
    r.motorLeftTempC = 30;
    r.motorRightTempC = 31;
    r.freshness = Freshness::Live;
    r.sampleTimeUnixMs = kStart - 500;
    r.receivedUnixMs = kStart - 400;
    return r;
}

struct Fleet {
    explicit Fleet(int robots = 5, int capacity = RobotHistory::kDefaultCapacity)
    {
        fleet::v1::Snapshot snapshot;
        snapshot.set_sequence(1);
        snapshot.set_server_time_unix_ms(kStart);
        for (int i = 0; i < robots; ++i) {
            states.push_back(robot(i));
            codec::writeRobotState(states.back(), std::uint32_t(i), FieldGroup::All, snapshot.add_robots());
        }
        model.applySnapshot(snapshot, clock.nowUnixMs());
        history = std::make_unique<RobotHistory>(&model, &selection, &clock, capacity);
    }

    // One telemetry message from robot `i`: its sample time moves, as a real robot's does.
    bool report(int i, std::uint32_t groups = FieldGroup::Battery | FieldGroup::Freshness)
    {
        RobotState &state = states[std::size_t(i)];
        state.sampleTimeUnixMs = clock.nowUnixMs();
        state.receivedUnixMs = clock.nowUnixMs();
        fleet::v1::Delta delta;
        delta.set_sequence(++sequence);
        delta.set_server_time_unix_ms(clock.nowUnixMs());
        codec::writeRobotState(state, std::uint32_t(i), groups, delta.add_robots());
        return model.applyDelta(delta, clock.nowUnixMs());
    }

    [[nodiscard]] std::vector<double> values(RobotHistory::Quantity quantity) const
    {
        std::vector<double> out;
        for (const auto &sample : history->samples(quantity))
            out.push_back(sample.value);
        return out;
    }

    ManualClock clock{kStart};
    RobotModel model;
    RobotSelection selection{&model};
    std::vector<RobotState> states;
    std::unique_ptr<RobotHistory> history;
    quint64 sequence = 1;
};

}  // namespace fleetdeck

#pragma once

#include "clock.h"
#include "drill.h"

#include "fleet/v1/console.pb.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace fleetdeck {

class AlertService;

namespace sim {
class FleetSimulator;
struct DbIncident;
}

// Runs a drill scenario against the demo: injects each incident at its time, watches the alerts,
// and afterwards tells for each incident whether and when its alert fired, who acknowledged it, and
// when it resolved; alerts that match no incident are listed as unplanned. Time comes from the
// injected Clock; a timer calls poll(), tests call it by hand.
// Thread: main (the fleet's and the alerts').
class DrillRunner : public QObject
{
    Q_OBJECT

public:
    // Where incidents are injected; a missing one makes its incidents "not injected" in the report.
    struct Targets {
        sim::FleetSimulator *fleet = nullptr;
        std::function<bool(const sim::DbIncident &incident, QString *error)> addDbIncident;
        std::function<void(bool up)> setBrokersUp;
    };
    struct Settings {
        std::int64_t graceMs = 120'000;  // after the last incident is over, for late alerts and resolutions
        int pollIntervalMs = 250;
    };

    // One alert of the drill as last seen.
    struct AlertRecord {
        std::uint64_t id = 0;
        QString rule;
        QString subject;
        QString title;
        std::int64_t firedMs = 0;
        std::int64_t acknowledgedMs = -1;
        QString acknowledgedBy;
        std::int64_t resolvedMs = -1;
    };
    struct Outcome {
        enum class State { Pending, Injected, NotInjected };
        State state = State::Pending;
        std::int64_t injectedMs = -1;
        QString note;                       // what the injection did, or why it could not
        std::optional<std::uint64_t> detectedBy;  // the first expected alert to fire after the injection
        std::optional<std::uint64_t> alreadyOpen;  // an expected alert already open at the injection
        std::vector<std::uint64_t> related;        // further alerts this incident caused
        QStringList silencedRobots;                // area-offline
    };

    DrillRunner(sim::Drill drill, Targets targets, AlertService *alerts, const Clock *clock, Settings settings,
                QObject *parent = nullptr);

    // Checks the targets against the fleet (unknown robots, with their lines) and starts the drill now.
    [[nodiscard]] bool start(QStringList *errors);
    // Injects what is due and finishes once the grace period after the last incident is over.
    void poll();

    [[nodiscard]] bool isFinished() const { return m_finished; }
    [[nodiscard]] std::int64_t startedMs() const { return m_startMs; }
    [[nodiscard]] const sim::Drill &drill() const { return m_drill; }
    [[nodiscard]] const std::vector<Outcome> &outcomes() const { return m_outcomes; }
    [[nodiscard]] const AlertRecord *alert(std::uint64_t id) const;
    // Alerts fired during the drill that match no incident, in firing order.
    [[nodiscard]] std::vector<const AlertRecord *> unplanned() const;

    [[nodiscard]] QString reportText() const;
    [[nodiscard]] QString reportHtml() const;
    // HTML when `path` ends in .html or .htm, text otherwise.
    [[nodiscard]] bool writeReport(const QString &path, QString *error) const;

Q_SIGNALS:
    void injected(int index);
    void finished();

private:
    struct Action {
        std::int64_t atMs = 0;
        int incident = 0;
        bool begin = true;
    };

    void onAlertChanged(const fleet::v1::Alert &alert);
    const AlertRecord &remember(const fleet::v1::Alert &alert);
    void inject(int index, std::int64_t nowMs);
    void end(int index);
    void attribute(const AlertRecord &record);
    [[nodiscard]] bool isSideEffect(int index, const AlertRecord &record) const;
    void finish();
    [[nodiscard]] QString relative(std::int64_t ms) const;

    sim::Drill m_drill;
    Targets m_targets;
    AlertService *m_alerts;
    const Clock *m_clock;
    Settings m_settings;
    QTimer m_timer;
    std::vector<Action> m_actions;  // by time
    std::size_t m_nextAction = 0;
    std::vector<Outcome> m_outcomes;
    std::map<std::uint64_t, AlertRecord> m_records;
    std::vector<std::uint64_t> m_firingOrder;
    std::int64_t m_startMs = -1;
    std::int64_t m_endMs = -1;
    bool m_finished = false;
};

}  // namespace fleetdeck

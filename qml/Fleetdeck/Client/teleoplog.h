#pragma once

#include <QObject>
#include <QString>
#include <QVariantList>

#include <deque>

namespace fleet::v1 {
class ServerMessage;
class TeleopEvent;
}

namespace fleetdeck {

class FleetClient;

// The teleoperation audit trail as the console shows it: who took, drove, released or e-stopped a
// robot, when, and the figures of each driving session. The backend sends its recent trail after
// every connect (which replaces what the console had, so nothing is shown twice) and each new event
// as it happens; the console keeps the fleet's last kCapacity events and shows those of one robot.
// Thread: main.
class TeleopLog : public QObject
{
    Q_OBJECT
    // The robot whose events `events` lists (normally the selected one).
    Q_PROPERTY(QString robotId READ robotId WRITE setRobotId NOTIFY robotIdChanged)
    // [{kind, title, operatorName, timeUnixMs, detail, durationMs, commands, maxLinearMps}], newest
    // first, at most kShown.
    Q_PROPERTY(QVariantList events READ events NOTIFY eventsChanged)

public:
    static constexpr std::size_t kCapacity = 256;  // as many as the backend keeps
    static constexpr int kShown = 8;

    // `client` must outlive the log.
    explicit TeleopLog(FleetClient *client, QObject *parent = nullptr);
    ~TeleopLog() override;

    [[nodiscard]] QString robotId() const { return m_robotId; }
    void setRobotId(const QString &robotId);
    [[nodiscard]] QVariantList events() const { return m_shown; }

Q_SIGNALS:
    void robotIdChanged();
    void eventsChanged();

private:
    struct Entry {
        int kind = 0;  // fleet::v1::TeleopEvent::Kind
        QString robotId;
        QString operatorName;
        qint64 timeUnixMs = 0;
        QString detail;
        qint64 durationMs = 0;
        quint32 commands = 0;
        float maxLinearMps = 0;
    };

    void onServerMessage(const fleet::v1::ServerMessage &message);
    void append(const fleet::v1::TeleopEvent &event);
    void updateShown();

    FleetClient *m_client;
    QString m_robotId;
    std::deque<Entry> m_entries;  // oldest first
    QVariantList m_shown;
};

}  // namespace fleetdeck

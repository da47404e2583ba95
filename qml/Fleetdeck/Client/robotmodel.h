#pragma once

#include "robotstate.h"

#include <QAbstractListModel>
#include <QHash>

#include <cstdint>
#include <vector>

namespace fleet::v1 {
class Snapshot;
class Delta;
class Refresh;
class RobotState;
}

namespace google::protobuf {
template<typename T>
class RepeatedPtrField;
}

namespace fleetdeck {

// Every robot the backend reported, one row per backend slot (row == slot), so a delta applies by
// index with no lookup. A snapshot resets the model; a delta emits one dataChanged per run of
// adjacent changed rows, carrying only the roles whose values changed.
// Thread: main.
class RobotModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(qint64 serverTimeOffsetMs READ serverTimeOffsetMs NOTIFY serverTimeOffsetMsChanged)

public:
    enum Role {
        RobotIdRole = Qt::UserRole + 1,  // QString
        LatitudeRole,                    // double, degrees
        LongitudeRole,                   // double, degrees
        HeadingRole,                     // double, degrees clockwise from north
        SpeedRole,                       // double, m/s
        ModeRole,                        // int, fleetdeck::Mode
        ModeNameRole,                    // QString
        TaskIdRole,                      // QString
        BatteryRole,                     // double, percent
        MotorLeftTempRole,               // double, °C
        MotorRightTempRole,              // double, °C
        LidarRole,                       // int, fleetdeck::SensorStatus
        CamerasRole,                     // int, fleetdeck::SensorStatus
        GpsRole,                         // int, fleetdeck::SensorStatus
        CpuRole,                         // double, percent
        DiskRole,                        // double, percent
        LinkRttRole,                     // double, ms
        SignalRole,                      // double, dBm
        FaultCountRole,                  // int
        FaultsRole,                      // QVariantList of {code, description, detail, sinceUnixMs}
        FreshnessRole,                   // int, fleetdeck::Freshness
        SampleTimeRole,                  // qint64, robot clock, Unix ms
        ReceivedTimeRole,                // qint64, backend clock, Unix ms
        // QString "autonomous · 87 %": changes with mode, battery, faults or freshness, so proxies
        // that filter on those can set it as their filterRole and ignore position-only changes.
        StatusRole,
    };
    Q_ENUM(Role)

    explicit RobotModel(QObject *parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    [[nodiscard]] int count() const { return static_cast<int>(m_robots.size()); }
    [[nodiscard]] const RobotState &robotAt(int row) const { return m_robots[static_cast<std::size_t>(row)]; }
    [[nodiscard]] const std::vector<RobotState> &robots() const { return m_robots; }
    Q_INVOKABLE int rowOf(const QString &robotId) const;
    // Backend clock minus this machine's, from the latest frame; ages are computed on backend time.
    [[nodiscard]] qint64 serverTimeOffsetMs() const { return m_serverTimeOffsetMs; }

    void applySnapshot(const fleet::v1::Snapshot &snapshot, qint64 localNowUnixMs);
    // False (model untouched) when the delta names a row the model does not have and does not
    // introduce it; the caller must then resync from a snapshot.
    [[nodiscard]] bool applyDelta(const fleet::v1::Delta &delta, qint64 localNowUnixMs);
    // A Refresh (answer to a Subscribe) applies like a delta, without a sequence of its own.
    [[nodiscard]] bool applyRefresh(const fleet::v1::Refresh &refresh, qint64 localNowUnixMs);
    void clear();

    // Roles that change when the given FieldGroup bits change.
    [[nodiscard]] static QVector<int> rolesFor(std::uint32_t groups);

Q_SIGNALS:
    void countChanged();
    void serverTimeOffsetMsChanged();

private:
    void setServerTime(qint64 serverUnixMs, qint64 localNowUnixMs);
    [[nodiscard]] bool applyChanges(const google::protobuf::RepeatedPtrField<fleet::v1::RobotState> &robots,
                                    qint64 serverUnixMs, qint64 localNowUnixMs);
    void emitChangedRun(int first, int last, std::uint32_t groups);

    std::vector<RobotState> m_robots;
    QHash<QString, int> m_rowById;
    qint64 m_serverTimeOffsetMs = 0;
};

}  // namespace fleetdeck

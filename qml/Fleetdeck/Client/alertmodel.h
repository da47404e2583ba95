#pragma once

#include <QAbstractListModel>
#include <QString>

#include <cstdint>
#include <vector>

namespace fleet::v1 {
class Alert;
class ServerMessage;
}

namespace fleetdeck {

class FleetClient;

// The backend's alerts as a list for the console: open ones first, most severe first, then newest.
// The backend sends the full list after every connect (which replaces ours) and each change at once,
// so every console shows the same alerts in the same states.
// Thread: main.
class AlertModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount NOTIFY countsChanged)
    Q_PROPERTY(int firingCount READ firingCount NOTIFY countsChanged)        // open, nobody on it
    Q_PROPERTY(int openCount READ openCount NOTIFY countsChanged)            // firing or acknowledged
    Q_PROPERTY(int worstOpenSeverity READ worstOpenSeverity NOTIFY countsChanged)  // fleet.v1.Severity, 0 none
    Q_PROPERTY(QString lastRefusal READ lastRefusal NOTIFY lastRefusalChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        RuleRole,
        SeverityRole,   // 1 info, 2 warning, 3 critical
        StateRole,      // 1 firing, 2 acknowledged, 3 resolved
        SubjectRole,
        RobotIdRole,
        TitleRole,
        DetailRole,
        WhatToCheckRole,
        FiredUnixMsRole,
        AcknowledgedByRole,
        AcknowledgedUnixMsRole,
        ResolvedUnixMsRole,
        InfraTileRole,
        LatitudeRole,
        LongitudeRole,
    };
    Q_ENUM(Role)

    // `client` must outlive the model.
    explicit AlertModel(FleetClient *client, QObject *parent = nullptr);
    ~AlertModel() override;

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    [[nodiscard]] int firingCount() const;
    [[nodiscard]] int openCount() const;
    [[nodiscard]] int worstOpenSeverity() const;
    [[nodiscard]] QString lastRefusal() const { return m_lastRefusal; }

    // Tells everyone this operator is on it (the backend refuses for read-only consoles).
    Q_INVOKABLE bool acknowledge(qulonglong alertId);
    // The row of an alert, -1 if not held.
    Q_INVOKABLE int rowOf(qulonglong alertId) const;

Q_SIGNALS:
    void countsChanged();
    void lastRefusalChanged();

private:
    void onServerMessage(const fleet::v1::ServerMessage &message);
    void upsert(const fleet::v1::Alert &alert);
    void remove(std::uint64_t id);
    [[nodiscard]] int insertionRow(const fleet::v1::Alert &alert) const;

    FleetClient *m_client;
    std::vector<fleet::v1::Alert> m_alerts;  // in display order
    QString m_lastRefusal;
};

}  // namespace fleetdeck

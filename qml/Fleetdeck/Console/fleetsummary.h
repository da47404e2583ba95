#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QVariantList>

#include <array>

namespace fleetdeck {

class RobotModel;

// Counts of robots by mode and by freshness, and the backend's "now" for data ages, recomputed once
// per model update (never per row signal). Thread: main.
class FleetSummary : public QObject
{
    Q_OBJECT
    Q_PROPERTY(int total READ total NOTIFY changed)
    Q_PROPERTY(int staleCount READ staleCount NOTIFY changed)
    Q_PROPERTY(int lostCount READ lostCount NOTIFY changed)
    Q_PROPERTY(int needsAttentionCount READ needsAttentionCount NOTIFY changed)
    // [{mode, count}] for every mode with at least one robot, in mode order.
    Q_PROPERTY(QVariantList modeCounts READ modeCounts NOTIFY changed)
    // Backend clock, Unix ms; advances at least once a second so ages keep counting without data.
    Q_PROPERTY(double serverNowMs READ serverNowMs NOTIFY serverNowMsChanged)

public:
    explicit FleetSummary(RobotModel *model, QObject *parent = nullptr);

    [[nodiscard]] int total() const { return m_total; }
    [[nodiscard]] int staleCount() const { return m_stale; }
    [[nodiscard]] int lostCount() const { return m_lost; }
    [[nodiscard]] int needsAttentionCount() const { return m_attention; }
    [[nodiscard]] QVariantList modeCounts() const;
    [[nodiscard]] double serverNowMs() const;
    Q_INVOKABLE int countOf(int mode) const;

    // Recounts now; connected to the client's updated() signal.
    void recount();

Q_SIGNALS:
    void changed();
    void serverNowMsChanged();

private:
    QPointer<RobotModel> m_model;
    std::array<int, 11> m_byMode{};
    int m_total = 0;
    int m_stale = 0;
    int m_lost = 0;
    int m_attention = 0;
    QTimer m_clockTimer;
};

}  // namespace fleetdeck

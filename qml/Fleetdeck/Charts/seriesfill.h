#pragma once

#include "historyfeed.h"

#include <QObject>
#include <QPointer>

namespace fleetdeck {

// Hands a HistoryFeed's points to a Qt Charts series (any XYSeries) in one replace() on every refresh,
// never point by point. Desktop only: the browser build has no Qt Charts (DESIGN.md §10).
// Thread: main.
class SeriesFill : public QObject
{
    Q_OBJECT
    Q_PROPERTY(fleetdeck::HistoryFeed *feed READ feed WRITE setFeed NOTIFY feedChanged)
    // A QObject so that this header needs no Qt Charts.
    Q_PROPERTY(QObject *series READ series WRITE setSeries NOTIFY seriesChanged)

public:
    using QObject::QObject;

    [[nodiscard]] HistoryFeed *feed() const { return m_feed; }
    void setFeed(HistoryFeed *feed);
    [[nodiscard]] QObject *series() const { return m_series; }
    void setSeries(QObject *series);

Q_SIGNALS:
    void feedChanged();
    void seriesChanged();

private:
    void fill();

    QPointer<HistoryFeed> m_feed;
    QMetaObject::Connection m_feedConnection;
    QPointer<QObject> m_series;
};

}  // namespace fleetdeck

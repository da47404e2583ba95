#pragma once

#include "metricquery.h"

#include <QObject>

namespace fleetdeck::metrics {

// Where the infrastructure figures come from. A source keeps itself current on its own timer
// (scraping, or asking Prometheus) and answers its queries from what it last learned: evaluate()
// never blocks, so the backend's tick never waits on a slow exporter.
// Thread: main.
class MetricsSource : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    virtual void start() = 0;
    [[nodiscard]] virtual QueryResults evaluate() const = 0;
    [[nodiscard]] virtual std::vector<SourceHealth> health() const = 0;
};

}  // namespace fleetdeck::metrics

#pragma once

#include "exposition.h"

#include <QByteArray>
#include <QString>

#include <map>
#include <vector>

namespace fleetdeck::metrics {

// One question the infrastructure view asks of the metrics. The list of questions is written once
// and answered two ways: from the backend's own scrapes over its window (ScrapeSource, small setups
// and the demo), or by a Prometheus server as PromQL (PromQlSource, fleets with many sidecars).
// Grouping by a few labels is how high-cardinality labels (client IP, username) are aggregated away.
struct Query
{
    enum class Kind {
        Rate,           // per-second increase of a counter, summed per group
        Latest,         // current value of a gauge, summed or maxed per group
        HistogramRate,  // observations per second of a histogram family, summed per group
        BucketRates,    // per-second increase of each cumulative bucket, per group; series carry `le`
        Quantile,       // estimated quantile of a histogram per group (for fine buckets only)
    };
    enum class Aggregate { Sum, Max };

    QByteArray id;
    Kind kind = Kind::Rate;
    QByteArray metric;  // the family name; for histograms without _bucket/_count
    std::vector<QByteArray> groupBy;
    Aggregate aggregate = Aggregate::Sum;  // Kind::Latest
    double quantile = 0;                   // Kind::Quantile, 0..1
};

struct SeriesValue
{
    Labels labels;  // the groupBy labels (and `le` for BucketRates), sorted by name
    double value = 0;
};

// Answers by query id; a query nobody could answer is absent.
using QueryResults = std::map<QByteArray, std::vector<SeriesValue>>;

// The same question in PromQL, over a range of `windowSeconds`.
[[nodiscard]] QString toPromQl(const Query &query, int windowSeconds);

// Whether one source of metrics answers, for the console to say why a tile is blank.
struct SourceHealth
{
    QString name;
    bool up = false;
    QString error;               // the latest problem, also while up (e.g. malformed lines skipped)
    qint64 lastSuccessUnixMs = 0;
};

}  // namespace fleetdeck::metrics

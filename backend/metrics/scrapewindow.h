#pragma once

#include "exposition.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QtGlobal>

#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace fleetdeck::metrics {

// A pseudo-label usable in groupBy and match that names the scrape target. Prometheus reserves
// names starting with "__", so no exposition can carry it.
inline constexpr char kTargetLabel[] = "__target__";

enum class Aggregate { Sum, Min, Max };

// The increase of one histogram over the window, summed over the series of one group.
struct HistogramWindow
{
    std::vector<double> upperBounds;     // ascending, the last one +Inf
    std::vector<double> bucketIncrease;  // increase of each cumulative `le` bucket (so ascending too)
    double count = 0;                    // increase of x_count
    double sum = 0;                      // increase of x_sum (NaN when a series exposes no x_sum)
    // Sum over series of increase/second, each over its own span of scrapes (see ScrapeWindow::rate).
    double ratePerSecond = 0;
    int series = 0;
    // Series of this group left out because their bounds differ from the ones the group uses (those of
    // the most series; on a tie the lexicographically smaller list). Non-zero means a mixed rollout.
    int skippedSeries = 0;

    // Observations in the window: the +Inf bucket's increase (x_count's when an exporter is consistent).
    [[nodiscard]] double total() const { return bucketIncrease.empty() ? 0 : bucketIncrease.back(); }
    // Non-cumulative share per bucket (bucket i is (bound[i-1], bound[i]]); sums to 1 when total() > 0,
    // all zeros otherwise.
    [[nodiscard]] std::vector<double> shares() const;
    // Share of observations above `threshold`. Only exact for a threshold that is one of the bounds, so
    // anything else (and a window without observations) gives nullopt rather than a guess.
    [[nodiscard]] std::optional<double> shareAbove(double threshold) const;
    // As Prometheus' histogram_quantile(): linear interpolation inside the bucket holding the rank
    // (from 0 for the first bucket), the highest finite bound for a rank in the +Inf bucket, NaN
    // without observations, -Inf/+Inf for q < 0 / q > 1. Decade-wide buckets make this a fiction:
    // use shareAbove() for them.
    [[nodiscard]] double quantile(double q) const;
};

// Keeps the last `windowMs` of scrapes of several targets and answers rate, latest-value and histogram
// queries over them, grouping away high-cardinality labels (client, username).
//
// Time is what the caller passes: the window ends at the latest time given to add() or advance(), so
// tests and replays need no clock. Sample timestamps in the exposition are ignored.
//
// Rates need two scrapes of a series: the window's first increase is measured from the last scrape at
// or before the window start, which is kept for that purpose. A series scraped once contributes nothing
// (and its group is absent unless another series contributes). Counter resets are handled like
// Prometheus' increase(): a drop means the counter restarted from 0, so the new value is the increase.
// rate = increase / (time of its last scrape - time of its first one): no extrapolation to the window
// edges, so a short-lived series is not inflated.
//
// Memory: per series one interned label set and one (time, value) pair per scrape inside the window
// (for histograms, one row of bucket counts); string pool swept when it doubles.
// Thread: the owner's.
class ScrapeWindow
{
public:
    explicit ScrapeWindow(qint64 windowMs);

    // One scrape of one target. Histogram families are stored whole (buckets + x_count + x_sum, keyed by
    // family name); every other sample by its own name. Returns false (and stores nothing) for a scrape
    // not later than that target's previous one, or older than the window.
    bool add(const QByteArray &target, qint64 nowMs, const Exposition &exposition);
    // Moves the window's end without a scrape and forgets targets not scraped within the window, so a
    // target that went away stops counting even when no other target is scraped.
    void advance(qint64 nowMs);

    // Per group, the sum over the group's series of each series' increase per second (counters).
    // `name` is a sample name (a counter's family name, or summary x_count); histograms: see histogram().
    // Group keys hold every groupBy label, sorted by name, with "" for a series without it. `match`
    // keeps series whose label equals the value ("" matching an absent label, as in PromQL).
    [[nodiscard]] std::map<Labels, double> rate(const QByteArray &name, const std::vector<QByteArray> &groupBy,
                                                const Labels &match = {}) const;
    // Per group, the series' values in their target's latest scrape, aggregated. A series missing from
    // its target's latest scrape is gone (Prometheus staleness) and NaN values are left out.
    [[nodiscard]] std::map<Labels, double> latest(const QByteArray &name, const std::vector<QByteArray> &groupBy,
                                                  Aggregate aggregate, const Labels &match = {}) const;
    // Per group, the histogram family's increase over the window (reset-aware per series: a drop of
    // any bucket or of x_count restarts that series from 0). A series whose bounds change between two
    // scrapes is restarted from the new scrape.
    [[nodiscard]] std::map<Labels, HistogramWindow> histogram(const QByteArray &family, const std::vector<QByteArray> &groupBy,
                                                              const Labels &match = {}) const;

    [[nodiscard]] qint64 windowMs() const { return m_windowMs; }
    // The window's end; min() before the first add().
    [[nodiscard]] qint64 nowMs() const { return m_nowMs; }
    [[nodiscard]] int targetCount() const { return int(m_targets.size()); }
    [[nodiscard]] qsizetype seriesCount() const;
    // Stored scalar points plus histogram rows: what bounds the memory.
    [[nodiscard]] qsizetype pointCount() const;
    // Histogram series that could not be stored since construction (duplicate `le`, or neither a +Inf
    // bucket nor x_count): an exporter bug worth a log line.
    [[nodiscard]] quint64 rejectedHistograms() const { return m_rejectedHistograms; }

private:
    struct Point
    {
        qint64 timeMs;
        double value;
    };
    struct ScalarSeries
    {
        Labels labels;
        std::vector<Point> points;  // ascending time
    };
    struct HistogramSeries
    {
        Labels labels;  // without `le`
        std::vector<double> bounds;
        std::vector<qint64> times;
        // One row per scrape: bounds.size() cumulative bucket counts, then x_count, then x_sum.
        std::vector<double> rows;
        [[nodiscard]] std::size_t stride() const { return bounds.size() + 2; }
    };
    struct Named
    {
        QHash<QByteArray, ScalarSeries> scalars;        // key: encoded labels
        QHash<QByteArray, HistogramSeries> histograms;  // key: encoded labels without `le`
    };
    struct Target
    {
        qint64 lastMs = std::numeric_limits<qint64>::min();
        QHash<QByteArray, Named> names;
    };

    void addScalars(Target &target, qint64 nowMs, const Family &family);
    void addHistograms(Target &target, qint64 nowMs, const Family &family);
    void trim(Target &target);
    Labels intern(const Labels &labels, QByteArrayView skip = {});
    void sweepStrings();
    [[nodiscard]] qint64 windowStart() const;

    qint64 m_windowMs;
    qint64 m_nowMs = std::numeric_limits<qint64>::min();
    std::map<QByteArray, Target> m_targets;
    // Label names and values shared by all series (client IPs and app names repeat across series).
    QSet<QByteArray> m_strings;
    qsizetype m_stringsAfterSweep = 0;
    quint64 m_rejectedHistograms = 0;
    QByteArray m_key;  // scratch, to look series up without allocating
};

}  // namespace fleetdeck::metrics

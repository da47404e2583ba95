#include "scrapewindow.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fleetdeck::metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Label names cannot hold NUL and values are length-prefixed, so distinct label sets never collide.
void encodeLabels(QByteArray &key, const Labels &labels, QByteArrayView skip)
{
    key.resize(0);
    for (const auto &[name, value] : labels) {
        if (!skip.isEmpty() && name == skip)
            continue;
        key += name;
        key += '\0';
        const auto size = quint32(value.size());
        key.append(reinterpret_cast<const char *>(&size), sizeof size);
        key += value;
    }
}

// Sorted, without duplicates, so group keys come out sorted by name like every Labels.
std::vector<QByteArray> normalised(std::vector<QByteArray> names)
{
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

QByteArray labelValue(const QByteArray &target, const Labels &labels, const QByteArray &name)
{
    if (name == kTargetLabel)
        return target;
    const QByteArray *value = findLabel(labels, name);
    return value ? *value : QByteArray();
}

bool matches(const QByteArray &target, const Labels &labels, const Labels &match)
{
    return std::all_of(match.begin(), match.end(),
                       [&](const auto &wanted) { return labelValue(target, labels, wanted.first) == wanted.second; });
}

Labels groupKey(const QByteArray &target, const Labels &labels, const std::vector<QByteArray> &groupBy)
{
    Labels key;
    key.reserve(groupBy.size());
    for (const QByteArray &name : groupBy)
        key.emplace_back(name, labelValue(target, labels, name));
    return key;
}

// Index of the first scrape a window query uses: the last one at or before the window start (it
// gives the increase up to the first scrape inside), or the oldest when all are inside.
template<typename TimeAt>
std::size_t baseline(std::size_t count, qint64 windowStart, TimeAt timeAt)
{
    std::size_t first = 0;
    while (first + 1 < count && timeAt(first + 1) <= windowStart)
        ++first;
    return first;
}

bool sameBound(double a, double b)
{
    if (a == b)
        return true;
    if (!std::isfinite(a) || !std::isfinite(b))
        return false;
    return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

}  // namespace

std::vector<double> HistogramWindow::shares() const
{
    std::vector<double> out(bucketIncrease.size(), 0.0);
    const double all = total();
    if (!(all > 0))
        return out;
    double below = 0;
    for (std::size_t i = 0; i < bucketIncrease.size(); ++i) {
        out[i] = (bucketIncrease[i] - below) / all;
        below = bucketIncrease[i];
    }
    return out;
}

std::optional<double> HistogramWindow::shareAbove(double threshold) const
{
    const double all = total();
    if (!(all > 0))
        return std::nullopt;
    for (std::size_t i = 0; i < upperBounds.size() && i < bucketIncrease.size(); ++i) {
        if (sameBound(upperBounds[i], threshold))
            return (all - bucketIncrease[i]) / all;
    }
    return std::nullopt;
}

double HistogramWindow::quantile(double q) const
{
    if (std::isnan(q))
        return q;
    if (q < 0)
        return -kInf;
    if (q > 1)
        return kInf;
    const std::size_t n = std::min(upperBounds.size(), bucketIncrease.size());
    if (n < 2 || upperBounds[n - 1] != kInf)
        return std::numeric_limits<double>::quiet_NaN();
    const double all = bucketIncrease[n - 1];
    if (!(all > 0))
        return std::numeric_limits<double>::quiet_NaN();
    const double rank = q * all;
    std::size_t b = 0;
    while (b < n - 1 && bucketIncrease[b] < rank)
        ++b;
    if (b == n - 1)
        return upperBounds[n - 2];
    if (b == 0 && upperBounds[0] <= 0)
        return upperBounds[0];
    const double start = b == 0 ? 0 : upperBounds[b - 1];
    const double below = b == 0 ? 0 : bucketIncrease[b - 1];
    const double inBucket = bucketIncrease[b] - below;
    if (!(inBucket > 0))
        return start;
    return start + (upperBounds[b] - start) * ((rank - below) / inBucket);
}

ScrapeWindow::ScrapeWindow(qint64 windowMs) : m_windowMs(std::max<qint64>(windowMs, 0)) {}

qint64 ScrapeWindow::windowStart() const
{
    constexpr qint64 kMin = std::numeric_limits<qint64>::min();
    return m_nowMs < kMin + m_windowMs ? kMin : m_nowMs - m_windowMs;
}

void ScrapeWindow::advance(qint64 nowMs)
{
    m_nowMs = std::max(m_nowMs, nowMs);
    const qint64 start = windowStart();
    for (auto it = m_targets.begin(); it != m_targets.end();) {
        if (it->second.lastMs < start)
            it = m_targets.erase(it);
        else
            ++it;
    }
}

bool ScrapeWindow::add(const QByteArray &targetName, qint64 nowMs, const Exposition &exposition)
{
    if (nowMs < windowStart())
        return false;
    const auto existing = m_targets.find(targetName);
    if (existing != m_targets.end() && nowMs <= existing->second.lastMs)
        return false;
    advance(nowMs);
    Target &target = m_targets[targetName];
    target.lastMs = nowMs;
    for (const Family &family : exposition.families) {
        if (family.type == MetricType::Histogram)
            addHistograms(target, nowMs, family);
        else
            addScalars(target, nowMs, family);
    }
    trim(target);
    if (m_strings.size() > 2 * m_stringsAfterSweep + 4096)
        sweepStrings();
    return true;
}

Labels ScrapeWindow::intern(const Labels &labels, QByteArrayView skip)
{
    const auto pooled = [this](const QByteArray &text) {
        const auto it = m_strings.constFind(text);
        return it != m_strings.constEnd() ? *it : *m_strings.insert(text);
    };
    Labels out;
    out.reserve(labels.size());
    for (const auto &[name, value] : labels) {
        if (!skip.isEmpty() && name == skip)
            continue;
        out.emplace_back(pooled(name), pooled(value));
    }
    return out;
}

void ScrapeWindow::sweepStrings()
{
    m_strings.clear();
    for (auto &[name, target] : m_targets) {
        for (Named &named : target.names) {
            for (ScalarSeries &series : named.scalars)
                series.labels = intern(series.labels);
            for (HistogramSeries &series : named.histograms)
                series.labels = intern(series.labels);
        }
    }
    m_stringsAfterSweep = m_strings.size();
}

void ScrapeWindow::addScalars(Target &target, qint64 nowMs, const Family &family)
{
    // Samples of one name mostly come together: look the name up once per run.
    const QByteArray *lastName = nullptr;
    Named *named = nullptr;
    for (const Sample &sample : family.samples) {
        if (!lastName || sample.name != *lastName) {
            named = &target.names[sample.name];
            lastName = &sample.name;
        }
        encodeLabels(m_key, sample.labels, {});
        auto it = named->scalars.find(m_key);
        if (it == named->scalars.end())
            it = named->scalars.insert(m_key, ScalarSeries{intern(sample.labels), {}});
        std::vector<Point> &points = it->points;
        if (!points.empty() && points.back().timeMs == nowMs)
            points.back().value = sample.value;  // the same series twice in one scrape: the last wins
        else
            points.push_back({nowMs, sample.value});
    }
}

void ScrapeWindow::addHistograms(Target &target, qint64 nowMs, const Family &family)
{
    struct Builder
    {
        const Labels *labels = nullptr;
        std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
        std::optional<double> count;
        std::optional<double> sum;
        bool valid = true;
    };
    const QByteArray bucketName = family.name + "_bucket";
    const QByteArray countName = family.name + "_count";
    const QByteArray sumName = family.name + "_sum";
    QHash<QByteArray, Builder> builders;
    for (const Sample &sample : family.samples) {
        encodeLabels(m_key, sample.labels, "le");
        Builder &builder = builders[m_key];
        if (!builder.labels)
            builder.labels = &sample.labels;
        if (sample.name == bucketName) {
            const auto le = labelAsDouble(sample.labels, "le");
            if (le && !std::isnan(*le))
                builder.buckets.emplace_back(*le, sample.value);
            else
                builder.valid = false;
        } else if (sample.name == countName) {
            builder.count = sample.value;
        } else if (sample.name == sumName) {
            builder.sum = sample.value;
        }
    }
    if (builders.isEmpty())
        return;
    Named &named = target.names[family.name];
    for (auto it = builders.begin(); it != builders.end(); ++it) {
        Builder &builder = *it;
        auto &buckets = builder.buckets;
        std::sort(buckets.begin(), buckets.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        const bool duplicateLe = std::adjacent_find(buckets.begin(), buckets.end(), [](const auto &a, const auto &b) {
                                     return a.first == b.first;
                                 }) != buckets.end();
        if (!builder.valid || buckets.empty() || duplicateLe) {
            ++m_rejectedHistograms;
            continue;
        }
        if (buckets.back().first != kInf) {
            if (!builder.count) {
                ++m_rejectedHistograms;
                continue;
            }
            buckets.emplace_back(kInf, *builder.count);
        }
        std::vector<double> bounds;
        bounds.reserve(buckets.size());
        for (const auto &bucket : buckets)
            bounds.push_back(bucket.first);

        auto series = named.histograms.find(it.key());
        if (series == named.histograms.end())
            series = named.histograms.insert(it.key(), HistogramSeries{intern(*builder.labels, "le"), {}, {}, {}});
        if (series->bounds != bounds) {
            series->bounds = std::move(bounds);
            series->times.clear();
            series->rows.clear();
        }
        if (!series->times.empty() && series->times.back() == nowMs) {
            series->times.pop_back();
            series->rows.resize(series->rows.size() - series->stride());
        }
        series->times.push_back(nowMs);
        for (const auto &bucket : buckets)
            series->rows.push_back(bucket.second);
        series->rows.push_back(builder.count.value_or(buckets.back().second));
        series->rows.push_back(builder.sum.value_or(std::numeric_limits<double>::quiet_NaN()));
    }
}

void ScrapeWindow::trim(Target &target)
{
    const qint64 start = windowStart();
    for (auto named = target.names.begin(); named != target.names.end();) {
        auto &scalars = named->scalars;
        for (auto it = scalars.begin(); it != scalars.end();) {
            auto &points = it->points;
            if (points.empty() || points.back().timeMs < start) {
                it = scalars.erase(it);  // gone from the target for longer than the window
                continue;
            }
            const std::size_t first = baseline(points.size(), start, [&](std::size_t i) { return points[i].timeMs; });
            points.erase(points.begin(), points.begin() + std::ptrdiff_t(first));
            ++it;
        }
        auto &histograms = named->histograms;
        for (auto it = histograms.begin(); it != histograms.end();) {
            auto &times = it->times;
            if (times.empty() || times.back() < start) {
                it = histograms.erase(it);
                continue;
            }
            const std::size_t first = baseline(times.size(), start, [&](std::size_t i) { return times[i]; });
            times.erase(times.begin(), times.begin() + std::ptrdiff_t(first));
            it->rows.erase(it->rows.begin(), it->rows.begin() + std::ptrdiff_t(first * it->stride()));
            ++it;
        }
        if (scalars.isEmpty() && histograms.isEmpty())
            named = target.names.erase(named);
        else
            ++named;
    }
}

std::map<Labels, double> ScrapeWindow::rate(const QByteArray &name, const std::vector<QByteArray> &groupByNames,
                                            const Labels &match) const
{
    const std::vector<QByteArray> groupBy = normalised(groupByNames);
    const qint64 start = windowStart();
    std::map<Labels, double> out;
    for (const auto &[targetName, target] : m_targets) {
        const auto named = target.names.constFind(name);
        if (named == target.names.constEnd())
            continue;
        for (const ScalarSeries &series : named->scalars) {
            const auto &points = series.points;
            if (points.size() < 2 || points.back().timeMs < start || !matches(targetName, series.labels, match))
                continue;
            const Point *first = nullptr;
            const Point *previous = nullptr;
            double increase = 0;
            for (std::size_t i = baseline(points.size(), start, [&](std::size_t k) { return points[k].timeMs; });
                 i < points.size(); ++i) {
                const Point &point = points[i];
                if (std::isnan(point.value))
                    continue;
                if (previous)
                    increase += point.value >= previous->value ? point.value - previous->value : point.value;
                else
                    first = &point;
                previous = &point;
            }
            if (!first || previous == first)
                continue;  // seen once in the window (NaN scrapes do not count)
            const double seconds = double(previous->timeMs - first->timeMs) / 1000.0;
            out[groupKey(targetName, series.labels, groupBy)] += increase / seconds;
        }
    }
    return out;
}

std::map<Labels, double> ScrapeWindow::latest(const QByteArray &name, const std::vector<QByteArray> &groupByNames,
                                              Aggregate aggregate, const Labels &match) const
{
    const std::vector<QByteArray> groupBy = normalised(groupByNames);
    std::map<Labels, double> out;
    for (const auto &[targetName, target] : m_targets) {
        const auto named = target.names.constFind(name);
        if (named == target.names.constEnd())
            continue;
        for (const ScalarSeries &series : named->scalars) {
            if (series.points.empty() || series.points.back().timeMs != target.lastMs)
                continue;
            const double value = series.points.back().value;
            if (std::isnan(value) || !matches(targetName, series.labels, match))
                continue;
            const auto [it, inserted] = out.try_emplace(groupKey(targetName, series.labels, groupBy), value);
            if (inserted)
                continue;
            switch (aggregate) {
            case Aggregate::Sum:
                it->second += value;
                break;
            case Aggregate::Min:
                it->second = std::min(it->second, value);
                break;
            case Aggregate::Max:
                it->second = std::max(it->second, value);
                break;
            }
        }
    }
    return out;
}

std::map<Labels, HistogramWindow> ScrapeWindow::histogram(const QByteArray &family, const std::vector<QByteArray> &groupByNames,
                                                          const Labels &match) const
{
    struct Contribution
    {
        const std::vector<double> *bounds;
        std::vector<double> buckets;
        double count = 0;
        double sum = 0;
        double rate = 0;
    };
    const std::vector<QByteArray> groupBy = normalised(groupByNames);
    const qint64 start = windowStart();
    std::map<Labels, std::vector<Contribution>> groups;
    for (const auto &[targetName, target] : m_targets) {
        const auto named = target.names.constFind(family);
        if (named == target.names.constEnd())
            continue;
        for (const HistogramSeries &series : named->histograms) {
            const auto &times = series.times;
            if (times.size() < 2 || times.back() < start || !matches(targetName, series.labels, match))
                continue;
            const std::size_t first = baseline(times.size(), start, [&](std::size_t k) { return times[k]; });
            if (first + 1 >= times.size())
                continue;
            const std::size_t buckets = series.bounds.size();
            const std::size_t stride = series.stride();
            Contribution contribution{&series.bounds, std::vector<double>(buckets, 0.0)};
            for (std::size_t i = first + 1; i < times.size(); ++i) {
                const double *now = &series.rows[i * stride];
                const double *before = now - stride;
                // Buckets and x_count only grow; x_sum may fall (negative observations).
                bool reset = false;
                for (std::size_t b = 0; b <= buckets && !reset; ++b)
                    reset = now[b] < before[b];
                for (std::size_t b = 0; b < buckets; ++b)
                    contribution.buckets[b] += reset ? now[b] : now[b] - before[b];
                contribution.count += reset ? now[buckets] : now[buckets] - before[buckets];
                contribution.sum += reset ? now[buckets + 1] : now[buckets + 1] - before[buckets + 1];
            }
            const double seconds = double(times.back() - times[first]) / 1000.0;
            contribution.rate = contribution.count / seconds;
            groups[groupKey(targetName, series.labels, groupBy)].push_back(std::move(contribution));
        }
    }

    std::map<Labels, HistogramWindow> out;
    for (auto &[key, contributions] : groups) {
        // The bounds most series of the group share; the others cannot be added bucket by bucket.
        std::vector<std::pair<const std::vector<double> *, int>> votes;  // almost always one entry
        for (const Contribution &contribution : contributions) {
            const auto same = std::find_if(votes.begin(), votes.end(),
                                           [&](const auto &vote) { return *vote.first == *contribution.bounds; });
            if (same == votes.end())
                votes.emplace_back(contribution.bounds, 1);
            else
                ++same->second;
        }
        const std::vector<double> *chosen = votes.front().first;
        int chosenVotes = votes.front().second;
        for (const auto &[bounds, count] : votes) {
            if (count > chosenVotes || (count == chosenVotes && *bounds < *chosen)) {
                chosen = bounds;
                chosenVotes = count;
            }
        }
        HistogramWindow &window = out[key];
        window.upperBounds = *chosen;
        window.bucketIncrease.assign(chosen->size(), 0.0);
        for (const Contribution &contribution : contributions) {
            if (*contribution.bounds != *chosen) {
                ++window.skippedSeries;
                continue;
            }
            ++window.series;
            for (std::size_t b = 0; b < chosen->size(); ++b)
                window.bucketIncrease[b] += contribution.buckets[b];
            window.count += contribution.count;
            window.sum += contribution.sum;
            window.ratePerSecond += contribution.rate;
        }
    }
    return out;
}

qsizetype ScrapeWindow::seriesCount() const
{
    qsizetype count = 0;
    for (const auto &[name, target] : m_targets) {
        for (const Named &named : target.names)
            count += named.scalars.size() + named.histograms.size();
    }
    return count;
}

qsizetype ScrapeWindow::pointCount() const
{
    qsizetype count = 0;
    for (const auto &[name, target] : m_targets) {
        for (const Named &named : target.names) {
            for (const ScalarSeries &series : named.scalars)
                count += qsizetype(series.points.size());
            for (const HistogramSeries &series : named.histograms)
                count += qsizetype(series.times.size());
        }
    }
    return count;
}

}  // namespace fleetdeck::metrics

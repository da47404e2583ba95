#pragma once

#include <QtGlobal>

#include <vector>

namespace fleetdeck {

// A cumulative-bucket histogram in the Prometheus sense: fixed upper bounds, counts, sum.
// Thread: the owner's.
class Histogram
{
public:
    explicit Histogram(std::vector<double> upperBounds) : m_bounds(std::move(upperBounds)), m_counts(m_bounds.size() + 1) {}

    void observe(double value)
    {
        std::size_t i = 0;
        while (i < m_bounds.size() && value > m_bounds[i])
            ++i;
        ++m_counts[i];
        m_sum += value;
        ++m_count;
    }

    [[nodiscard]] const std::vector<double> &upperBounds() const { return m_bounds; }
    // Observations in (bound[i-1], bound[i]]; the last one is above every bound.
    [[nodiscard]] const std::vector<quint64> &bucketCounts() const { return m_counts; }
    [[nodiscard]] double sum() const { return m_sum; }
    [[nodiscard]] quint64 count() const { return m_count; }

private:
    std::vector<double> m_bounds;
    std::vector<quint64> m_counts;
    double m_sum = 0;
    quint64 m_count = 0;
};

}  // namespace fleetdeck

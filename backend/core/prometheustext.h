#pragma once

#include "histogram.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QSet>

namespace fleetdeck {

// Writes the Prometheus text exposition format (version 0.0.4): HELP and TYPE once per family,
// label values escaped.
class PrometheusText
{
public:
    using Labels = QList<QPair<QByteArray, QByteArray>>;

    void counter(const QByteArray &name, const QByteArray &help, double value, const Labels &labels = {});
    void gauge(const QByteArray &name, const QByteArray &help, double value, const Labels &labels = {});
    void histogram(const QByteArray &name, const QByteArray &help, const Histogram &histogram);

    [[nodiscard]] QByteArray text() const { return m_out; }
    static constexpr const char *kContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    void declare(const QByteArray &name, const QByteArray &help, const char *type);
    void sample(const QByteArray &name, double value, const Labels &labels);

    QByteArray m_out;
    QSet<QByteArray> m_declared;
};

}  // namespace fleetdeck

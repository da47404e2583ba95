#include "metricquery.h"

#include <QStringList>

namespace fleetdeck::metrics {
namespace {

QString joinLabels(const std::vector<QByteArray> &names, const char *extra = nullptr)
{
    QStringList list;
    for (const QByteArray &name : names)
        list.append(QString::fromLatin1(name));
    if (extra)
        list.append(QLatin1String(extra));
    return list.join(QStringLiteral(", "));
}

}  // namespace

QString toPromQl(const Query &query, int windowSeconds)
{
    const QString metric = QString::fromLatin1(query.metric);
    const QString range = QStringLiteral("[%1s]").arg(windowSeconds);
    switch (query.kind) {
    case Query::Kind::Rate:
        return QStringLiteral("sum by (%1) (rate(%2%3))").arg(joinLabels(query.groupBy), metric, range);
    case Query::Kind::Latest:
        return QStringLiteral("%1 by (%2) (%3)")
            .arg(query.aggregate == Query::Aggregate::Max ? QStringLiteral("max") : QStringLiteral("sum"),
                 joinLabels(query.groupBy), metric);
    case Query::Kind::HistogramRate:
        return QStringLiteral("sum by (%1) (rate(%2_count%3))").arg(joinLabels(query.groupBy), metric, range);
    case Query::Kind::BucketRates:
        return QStringLiteral("sum by (%1) (rate(%2_bucket%3))").arg(joinLabels(query.groupBy, "le"), metric, range);
    case Query::Kind::Quantile:
        return QStringLiteral("histogram_quantile(%1, sum by (%2) (rate(%3_bucket%4)))")
            .arg(QString::number(query.quantile, 'g', 6), joinLabels(query.groupBy, "le"), metric, range);
    }
    return {};
}

}  // namespace fleetdeck::metrics

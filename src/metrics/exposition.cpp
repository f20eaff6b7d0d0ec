#include "metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace notify::metrics {
namespace {

std::string_view TypeName(MetricType type) {
    switch (type) {
        case MetricType::kCounter:
            return "counter";
        case MetricType::kGauge:
            return "gauge";
        case MetricType::kHistogram:
            return "histogram";
    }
    return "untyped";
}

// Backslash and line feed always; the double quote only inside a label value's quotes (HELP text
// keeps it as it is).
std::string Escape(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }

std::string FormatValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Counts are the common case: below 2^53 a whole double is exact, so print it as an integer.
    if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
        return std::to_string(static_cast<long long>(value));
    }
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
            throw std::invalid_argument("histogram bounds must be finite and ascending");
        }
    }
}

void Histogram::Observe(double value) {
    // A bucket counts the observations less than or equal to its bound ("le").
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
    HistogramSnapshot snapshot;
    snapshot.bounds = bounds_;
    snapshot.cumulative.reserve(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        snapshot.cumulative.push_back(running);
    }
    snapshot.count = running;
    snapshot.sum = sum_.load(std::memory_order_relaxed);
    return snapshot;
}

void TextWriter::Family(std::string_view name, MetricType type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += Escape(help, false);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += TypeName(type);
    text_ += '\n';
}

void TextWriter::Line(std::string_view name, Labels labels, std::string_view extra_name, std::string_view extra_value,
                      std::string_view value) {
    text_ += name;
    if (labels.size() > 0 || !extra_name.empty()) {
        text_ += '{';
        bool first = true;
        const auto label = [&](std::string_view label_name, std::string_view label_value) {
            if (!first) text_ += ',';
            first = false;
            text_ += label_name;
            text_ += "=\"";
            text_ += EscapeLabelValue(label_value);
            text_ += '"';
        };
        for (const auto& [label_name, label_value] : labels) label(label_name, label_value);
        if (!extra_name.empty()) label(extra_name, extra_value);
        text_ += '}';
    }
    text_ += ' ';
    text_ += value;
    text_ += '\n';
}

void TextWriter::Sample(std::string_view name, Labels labels, double value) {
    Line(name, labels, {}, {}, FormatValue(value));
}

void TextWriter::HistogramSamples(std::string_view name, Labels labels, const HistogramSnapshot& snapshot) {
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
        const std::string le = i < snapshot.bounds.size() ? FormatValue(snapshot.bounds[i]) : "+Inf";
        Line(bucket, labels, "le", le, std::to_string(snapshot.cumulative[i]));
    }
    Line(std::string(name) + "_sum", labels, {}, {}, FormatValue(snapshot.sum));
    Line(std::string(name) + "_count", labels, {}, {}, std::to_string(snapshot.count));
}

}  // namespace notify::metrics

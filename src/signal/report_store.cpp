#include "signal/report_store.hpp"

#include <algorithm>

namespace turnpike::signal {

void MemoryReportStore::add(Report report) {
    if (reports_.size() == capacity_) {
        reports_.pop_front();
    }
    reports_.push_back(std::move(report));
}

std::vector<Report> MemoryReportStore::recent(size_t limit) const {
    auto count = std::min(limit, reports_.size());
    return {reports_.end() - static_cast<std::ptrdiff_t>(count), reports_.end()};
}

}  // namespace turnpike::signal

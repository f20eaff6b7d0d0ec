#pragma once

// MyOperator's template listing, GET {base}/chat/templates, read into the model that
// notify/template_sync.h compares with the local templates.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/template_sync.h"
#include "providers/myoperator.h"

namespace notify {

// One page of the listing. Pure: unit-tested on bodies without a network.
struct MyOperatorTemplatePage {
    std::vector<RemoteTemplate> templates;
    std::size_t entries = 0;           // entries in the page, read or not: how far the next page starts
    std::optional<std::size_t> total;  // data.count, when given
    std::string error;                 // set when the body is not a listing at all
};
MyOperatorTemplatePage ParseMyOperatorTemplatePage(std::string_view body);

// Every template MyOperator lists, page by page (limit 100, offset), each call bounded by
// options.timeout. `error` says why the listing could not be read (no answer, an HTTP error,
// not a listing); http_status is the last answer's, 0 when there was none.
struct MyOperatorTemplateListing {
    std::vector<RemoteTemplate> templates;
    long http_status = 0;
    std::string error;
    bool ok() const { return error.empty(); }
};
inline constexpr std::size_t kTemplatePageSize = 100;
inline constexpr std::size_t kMaxTemplatePages = 20;
MyOperatorTemplateListing FetchMyOperatorTemplates(const MyOperatorOptions& options);

}  // namespace notify

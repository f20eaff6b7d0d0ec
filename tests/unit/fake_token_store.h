#pragma once

// The token seam of authentication, mocked: Authenticator needs only a TokenLookup, not a Store.

#include <gmock/gmock.h>

#include "store/store.h"

namespace notify::testing_fakes {

// Not final: tests wrap it in NiceMock / StrictMock, which derive from it.
class MockTokenLookup : public TokenLookup {
public:
    MOCK_METHOD(std::optional<ApiToken>, FindTokenByHash, (std::string_view token_hash), (override));
    MOCK_METHOD(void, RecordTokenUse, (std::string_view token_hash, TimeMs at), (override));
};

}  // namespace notify::testing_fakes

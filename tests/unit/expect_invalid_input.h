#pragma once

// EXPECT_INVALID_INPUT(statement, code, field): the statement throws notify::Error of kind
// kInvalidInput with that code and field.

#include <gtest/gtest.h>

#include "common/errors.h"

#define EXPECT_INVALID_INPUT(statement, expected_code, expected_field)                        \
    do {                                                                                      \
        try {                                                                                 \
            static_cast<void>(statement);                                                     \
            ADD_FAILURE() << "expected notify::Error " << (expected_code) << ", none thrown"; \
        } catch (const ::notify::Error& e) {                                                  \
            EXPECT_EQ(e.kind(), ::notify::ErrorKind::kInvalidInput);                          \
            EXPECT_EQ(e.code(), (expected_code));                                             \
            EXPECT_EQ(e.field(), (expected_field));                                           \
        }                                                                                     \
    } while (0)

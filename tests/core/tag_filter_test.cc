// The tag filter: expression parsing, both stages, through the loaded .so.
#include <ferry/filter.h>
#include <ferry/record.h>
#include <ferry_test/fake_host.h>
#include <gtest/gtest.h>

#include "tag_expression.h"

namespace {

using ferry::filter_tag::parse_tag_expression;
using ferry::filter_tag::TagExpression;

int64_t h(const char* s) { return ferry_tag_hash({s, strlen(s)}); }

TEST(TagExpression, ParsesStarAndAlternatives) {
  TagExpression e;
  std::string why;
  ASSERT_TRUE(parse_tag_expression("*", &e, &why));
  EXPECT_TRUE(e.all);
  EXPECT_EQ(e.match_hash(h("x")), 1);
  ASSERT_TRUE(parse_tag_expression(" TagA||TagB ||  TagA ", &e, &why));
  EXPECT_FALSE(e.all);
  EXPECT_EQ(e.tags, (std::vector<std::string>{"TagA", "TagB"}));
  EXPECT_EQ(e.match_hash(h("TagA")), -1) << "a hash match is confirmed in stage 2";
  EXPECT_EQ(e.match_hash(h("TagC")), 0);
  EXPECT_TRUE(e.match_tag("TagB"));
  EXPECT_FALSE(e.match_tag("Tag"));
}

TEST(TagExpression, MalformedExpressionsSayWhy) {
  TagExpression e;
  std::string why;
  for (const char* bad : {"A ||", "|| A", "A |||| B", "A || * ", "A B", "A | B"}) {
    why.clear();
    EXPECT_FALSE(parse_tag_expression(bad, &e, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(TagPlugin, LoadedSoCompilesFiltersAndRejects) {
  ferry::test::FakeHost host;
  ferry::test::PluginHandle tag(host, "filter", "tag");
  EXPECT_STREQ(tag.desc()->name, "tag");
  EXPECT_EQ(tag.desc()->kind, FERRY_KIND_FILTER);
  tag.create_and_start("tag");
  const auto* ops = tag.ops<ferry_filter_ops>();
  EXPECT_STREQ(ops->expression_type(tag.instance()), "TAG");

  void* compiled = nullptr;
  ferry_error err;
  EXPECT_EQ(ops->compile(tag.instance(), {"A ||", 4}, &compiled, &err), FERRY_E_BAD_SUBSCRIPTION);
  EXPECT_NE(err.message.find("empty tag"), std::string::npos) << err.message;

  ASSERT_EQ(ops->compile(tag.instance(), {"Aa", 2}, &compiled, &err), FERRY_OK);
  EXPECT_EQ(ops->match_tag_hash(tag.instance(), compiled, h("BB")), -1);  // collides with "Aa"
  EXPECT_EQ(ops->match_tag_hash(tag.instance(), compiled, h("C")), 0);
  // A garbage record never matches a specific tag.
  EXPECT_EQ(ops->match_record(tag.instance(), compiled, "junk", 4), 0);
  ops->release(tag.instance(), compiled);
}

}  // namespace

using Microsoft.AspNetCore.Routing;
using ZkSync.AspNetCore;
using ZkSync.AspNetCore.Internal;

namespace ZkSync.AspNetCore.Tests.Unit;

public sealed class LockNameTemplateTests
{
    [Theory]
    [InlineData("/orders/{id}", "orders/42", new[] { "id" })]
    [InlineData("/orders", "orders", new string[0])]
    [InlineData("/tenants/{tenant}/orders/{id}", "tenants/acme/orders/42", new[] { "tenant", "id" })]
    [InlineData("/orders/order-{id}", "orders/order-42", new[] { "id" })]
    [InlineData("/pairs/{tenant}-{id}", "pairs/acme-42", new[] { "tenant", "id" })]
    [InlineData("/orders/{ID}", "orders/42", new[] { "ID" })]
    [InlineData("/{id}/{id}", "42/42", new[] { "id" })]
    public void Parse_ValidTemplate_BindsRouteValues(string template, string expected, string[] placeholders)
    {
        var parsed = LockNameTemplate.Parse(template);

        Assert.Equal(placeholders, parsed.Placeholders);
        Assert.True(parsed.TryBind(new RouteValueDictionary { ["id"] = "42", ["tenant"] = "acme" }, out var name, out _));
        Assert.Equal(expected, name);
    }

    [Fact]
    public void TryBind_NonStringValue_FormatsInvariant()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            var parsed = LockNameTemplate.Parse("/prices/{amount}");

            Assert.True(parsed.TryBind(new RouteValueDictionary { ["amount"] = 1234.5m }, out var name, out _));
            Assert.Equal("prices/1234.5", name);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Theory]
    [InlineData("", "must start with '/'")]
    [InlineData("orders/{id}", "must start with '/'")]
    [InlineData("/", "names no lock")]
    [InlineData("/orders/", "must not end with '/'")]
    [InlineData("/orders//{id}", "empty segment")]
    [InlineData("/orders/{id", "unmatched '{'")]
    [InlineData("/orders/id}", "unmatched '}'")]
    [InlineData("/orders/{}", "empty placeholder")]
    [InlineData("/orders/{id:int}", "write '{id}'")]
    [InlineData("/orders/{id?}", "write '{id}'")]
    [InlineData("/orders/{id=1}", "write '{id}'")]
    [InlineData("/files/{*path}", "catch-all")]
    [InlineData("/files/{**path}", "catch-all")]
    [InlineData("/orders/../{id}", "'.' and '..'")]
    [InlineData("/./{id}", "'.' and '..'")]
    [InlineData("/_c_x/{id}", "reserved for lock nodes")]
    [InlineData("/orders\u0001/{id}", "control character")]
    public void Parse_InvalidTemplate_ThrowsNamingTheProblem(string template, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => LockNameTemplate.Parse(template));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal("template", ex.ParamName);
    }

    [Fact]
    public void Attribute_InvalidTemplate_Throws()
    {
        Assert.Throws<ArgumentException>(() => new DistributedLockAttribute("orders/{id}"));
        Assert.Throws<ArgumentNullException>(() => new DistributedLockAttribute(null!));
    }

    [Theory]
    [InlineData(null, "missing")]
    [InlineData("", "empty")]
    [InlineData("a/b", "contains '/'")]
    [InlineData(".", "relative path segment")]
    [InlineData("..", "relative path segment")]
    [InlineData("_c_1234", "reserved for lock nodes")]
    [InlineData("bad\u0000", "control character")]
    [InlineData("bad\u007f", "control character")]
    [InlineData("line\nbreak", "control character")]
    [InlineData("\ud83d\ude00", "does not allow")]
    [InlineData("\ue000", "does not allow")]
    public void TryBind_UnusableValue_FailsNamingThePlaceholder(string? value, string reason)
    {
        var parsed = LockNameTemplate.Parse("/orders/{id}");
        var values = new RouteValueDictionary();
        if (value is not null)
        {
            values["id"] = value;
        }

        Assert.False(parsed.TryBind(values, out var name, out var error));

        Assert.Null(name);
        Assert.Equal("id", error.Placeholder);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/orders/{a}{b}", ".", ".")]
    [InlineData("/orders/{a}{b}", "_", "c_x")]
    public void TryBind_ValuesFormingABadSegment_Fail(string template, string a, string b)
    {
        var parsed = LockNameTemplate.Parse(template);

        Assert.False(parsed.TryBind(new RouteValueDictionary { ["a"] = a, ["b"] = b }, out _, out var error));
        Assert.Equal("a", error.Placeholder);
    }

    [Theory]
    [InlineData("order-.")]
    [InlineData("..x")]
    [InlineData("x_c_")]
    [InlineData("ünïcödé")]
    [InlineData("with space")]
    [InlineData("%2F")]
    public void TryBind_UnusualButValidValue_Binds(string value)
    {
        var parsed = LockNameTemplate.Parse("/orders/{id}");

        Assert.True(parsed.TryBind(new RouteValueDictionary { ["id"] = value }, out var name, out _));
        Assert.Equal("orders/" + value, name);
    }
}

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
    [InlineData("/braces/{{literal}}/{id}", "braces/{literal}/42", new[] { "id" })]
    public void Parse_ValidTemplate_BindsRouteValues(string template, string expected, string[] placeholders)
    {
        var parsed = LockNameTemplate.Parse(template);

        Assert.Equal(placeholders, parsed.Placeholders.Select(p => p.Name));
        Assert.All(parsed.Placeholders, p => Assert.Equal(LockValueSource.Route, p.Source));
        Assert.True(Bind(parsed, new RouteValueDictionary { ["id"] = "42", ["ID"] = "42", ["tenant"] = "acme" }, out var name, out _));
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("/payments/{header.Idempotency-Key}", "Header", "Idempotency-Key", "")]
    [InlineData("/reports/{query.date}", "Query", "date", "")]
    [InlineData("/tenants/{claim.tenant}", "Claim", "tenant", "")]
    [InlineData("/customers/{arg.order.CustomerId}", "Argument", "order", "CustomerId")]
    [InlineData("/customers/{arg.order.Customer.Id}", "Argument", "order", "Customer.Id")]
    [InlineData("/orders/{arg.id}", "Argument", "id", "")]
    [InlineData("/orders/{route.id}", "Route", "route.id", "")]
    public void Parse_SourcePrefixes_NameTheSource(string template, string source, string name, string path)
    {
        var placeholder = Assert.Single(LockNameTemplate.Parse(template).Placeholders);

        Assert.Equal(Enum.Parse<LockValueSource>(source), placeholder.Source);
        Assert.Equal(name, placeholder.Name);
        Assert.Equal(path, string.Join('.', placeholder.Path));
    }

    [Fact]
    public void TryBind_NonStringValue_FormatsInvariant()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            var parsed = LockNameTemplate.Parse("/prices/{amount}");

            Assert.True(Bind(parsed, new RouteValueDictionary { ["amount"] = 1234.5m }, out var name, out _));
            Assert.Equal("prices/1234.5", name);
            Assert.Equal("2026-12-03", LockNameTemplate.FormatValue(new DateOnly(2026, 12, 3)));
            Assert.Equal("2026-12-03T08:00:00.0000000Z", LockNameTemplate.FormatValue(new DateTime(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc)));
            Assert.Equal("true", LockNameTemplate.FormatValue(true));
            Assert.Equal("Shared", LockNameTemplate.FormatValue(Locks.ZooKeeperLockMode.Shared));
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
    [InlineData("/orders//{id}", "cannot appear consecutively")]
    [InlineData("/orders/{id", "incomplete parameter")]
    [InlineData("/orders/id}", "incomplete parameter")]
    [InlineData("/orders/{}", "route parameter name '' is invalid")]
    [InlineData("/{id}/{id}", "appears more than one time")]
    [InlineData("/orders/{a}{b}", "two consecutive parameters")]
    [InlineData("/orders/{id:int}", "write '{id}'")]
    [InlineData("/users/{claim.http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name}", "claim types that contain ':'")]
    [InlineData("/orders/{arg.order..Id}", "write '{arg.parameter}'")]
    [InlineData("/orders/{header.}", "name the header after the dot")]
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

        Assert.False(Bind(parsed, values, out var name, out var error));

        Assert.Null(name);
        Assert.Equal("id", error.Placeholder.Name);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryBind_ValueLongerThanTheLimit_FailsSayingHowLongAndWhatIsAllowed()
    {
        var parsed = LockNameTemplate.Parse("/orders/{id}");
        var longest = new string('x', LockNameTemplate.MaxValueLength);

        Assert.True(Bind(parsed, new RouteValueDictionary { ["id"] = longest }, out var name, out _));
        Assert.Equal("orders/" + longest, name);

        // A request value is the client's input: one of a megabyte would otherwise reach ZooKeeper as a node name.
        Assert.False(Bind(parsed, new RouteValueDictionary { ["id"] = longest + "y" }, out name, out var error));
        Assert.Null(name);
        Assert.Equal("id", error.Placeholder.Name);
        Assert.Contains($"is {LockNameTemplate.MaxValueLength + 1} characters long; at most {LockNameTemplate.MaxValueLength}", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/orders/{a}c_{b}", "_", "x")]
    public void TryBind_ValuesFormingABadSegment_Fail(string template, string a, string b)
    {
        var parsed = LockNameTemplate.Parse(template);

        Assert.False(Bind(parsed, new RouteValueDictionary { ["a"] = a, ["b"] = b }, out _, out var error));
        Assert.Equal("a", error.Placeholder.Name);
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

        Assert.True(Bind(parsed, new RouteValueDictionary { ["id"] = value }, out var name, out _));
        Assert.Equal("orders/" + value, name);
    }

    private static bool Bind(LockNameTemplate template, RouteValueDictionary values, out string? name, out LockNameBindingError error) =>
        template.TryBind([.. template.Placeholders.Select(p => LockNameTemplate.FormatValue(values.TryGetValue(p.Name, out var v) ? v : null))], out name, out error);
}

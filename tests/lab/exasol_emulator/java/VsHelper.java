import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The data-node side of the lab's virtual schema adapter and loader: one JVM per request. Reads
 * "key=base64(value)" lines on stdin (secrets never on the command line), loads the JDBC driver
 * from the BucketFS jars (URLClassLoader + ServiceLoader, as the UDF class path would), and
 * connects once per truststore ("store" = "index TAB path TAB password": what one data node's JVM
 * reads), each time with an SSLContext of that store as the JVM default (pgjdbc's
 * DefaultJavaSSLFactory takes the default), so that one JVM checks every node. A missing store
 * file is an empty store, as for a JVM whose javax.net.ssl.trustStore names no file. Prints one
 * JSON object: {"ok":true,...} or {"ok":false,"failures":[{"store":"i","exception":"class",
 * "message":"...","causes":"..."}]} (every failing store, in input order).
 *
 * mode=metadata: tables (TABLE/VIEW/...) of catalog/schema with their columns.
 * mode=rows:     SELECT of the given columns of one table, values as strings.
 */
public final class VsHelper {
    public static void main(String[] args) throws Exception {
        String mode = null, url = null, user = null, password = null, catalog = null, schema = null, table = null;
        List<String[]> stores = new ArrayList<>();
        List<String> jars = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String key = line.substring(0, eq);
            String value = new String(Base64.getDecoder().decode(line.substring(eq + 1)), StandardCharsets.UTF_8);
            switch (key) {
                case "mode": mode = value; break;
                case "url": url = value; break;
                case "user": user = value; break;
                case "password": password = value; break;
                case "catalog": catalog = value; break;
                case "schema": schema = value; break;
                case "table": table = value; break;
                case "column": columns.add(value); break;
                case "jar": jars.add(value); break;
                case "store": stores.add(value.split("\t", -1)); break;
                default: break;
            }
        }
        StringBuilder out = new StringBuilder();
        Driver driver;
        try {
            URL[] urls = new URL[jars.size()];
            for (int i = 0; i < jars.size(); i++) urls[i] = new File(jars.get(i)).toURI().toURL();
            URLClassLoader loader = new URLClassLoader(urls, VsHelper.class.getClassLoader());
            Thread.currentThread().setContextClassLoader(loader);
            driver = null;
            for (Driver candidate : ServiceLoader.load(Driver.class, loader)) {
                if (candidate.acceptsURL(url)) { driver = candidate; break; }
            }
            if (driver == null) {
                throw new java.sql.SQLException("No suitable driver found for " + url);
            }
        } catch (Throwable error) {
            System.out.println("{\"ok\":false,\"failures\":[" + failure("-1", error) + "]}");
            return;
        }
        if (stores.isEmpty()) stores.add(new String[] {"-1", "", ""});
        Properties props = new Properties();
        if (user != null) props.setProperty("user", user);
        if (password != null) props.setProperty("password", password);
        List<String> failures = new ArrayList<>();
        Connection work = null;
        try {
            for (String[] store : stores) {
                Connection connection = null;
                try {
                    if (!store[1].isEmpty()) SSLContext.setDefault(context(store[1], store.length > 2 ? store[2] : ""));
                    connection = driver.connect(url, props);
                    if (connection == null) throw new java.sql.SQLException("No suitable driver found for " + url);
                } catch (Throwable error) {
                    failures.add(failure(store[0], error));
                }
                if (connection != null) {
                    if (work == null && failures.isEmpty()) work = connection; else connection.close();
                }
            }
            if (!failures.isEmpty()) {
                out.append("{\"ok\":false,\"failures\":[").append(String.join(",", failures)).append("]}");
            } else if ("metadata".equals(mode)) {
                metadata(work, catalog, schema, out);
            } else {
                rows(work, schema, table, columns, out);
            }
        } catch (Throwable error) {
            out.setLength(0);
            out.append("{\"ok\":false,\"failures\":[").append(failure("-1", error)).append("]}");
        } finally {
            if (work != null) try { work.close(); } catch (Exception ignored) { }
        }
        System.out.println(out);
    }

    /** What a JVM trusts whose default truststore is this file (an empty store when it is missing). */
    private static SSLContext context(String path, String password) throws Exception {
        File file = new File(path);
        char[] secret = password == null || password.isEmpty() ? null : password.toCharArray();
        KeyStore store;
        if (file.isFile()) {
            store = KeyStore.getInstance(file, secret);
        } else {
            store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static String failure(String store, Throwable error) {
        StringBuilder causes = new StringBuilder();
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            causes.append(root.getClass().getName()).append(": ").append(root.getMessage()).append('\n');
        }
        return "{\"store\":" + json(store) + ",\"exception\":" + json(error.getClass().getName())
            + ",\"message\":" + json(String.valueOf(error.getMessage()))
            + ",\"causes\":" + json(causes.toString()) + "}";
    }

    private static void metadata(Connection connection, String catalog, String schema, StringBuilder out)
            throws Exception {
        DatabaseMetaData meta = connection.getMetaData();
        out.append("{\"ok\":true,\"product\":").append(json(meta.getDatabaseProductName()))
           .append(",\"productVersion\":").append(json(meta.getDatabaseProductVersion()))
           .append(",\"driverVersion\":").append(json(meta.getDriverVersion()))
           .append(",\"tables\":[");
        List<String[]> tables = new ArrayList<>();
        try (ResultSet rs = meta.getTables(catalog, schema, "%",
                new String[] {"TABLE", "VIEW", "SYSTEM TABLE", "SYSTEM VIEW", "PARTITIONED TABLE", "MATERIALIZED VIEW", "FOREIGN TABLE"})) {
            while (rs.next()) {
                tables.add(new String[] {rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE")});
            }
        }
        boolean firstTable = true;
        for (String[] t : tables) {
            if (!firstTable) out.append(',');
            firstTable = false;
            out.append("{\"schema\":").append(json(t[0])).append(",\"name\":").append(json(t[1]))
               .append(",\"type\":").append(json(t[2])).append(",\"columns\":[");
            try (ResultSet rs = meta.getColumns(catalog, t[0], t[1], "%")) {
                boolean firstColumn = true;
                while (rs.next()) {
                    if (!firstColumn) out.append(',');
                    firstColumn = false;
                    out.append("{\"name\":").append(json(rs.getString("COLUMN_NAME")))
                       .append(",\"jdbcType\":").append(rs.getInt("DATA_TYPE"))
                       .append(",\"typeName\":").append(json(rs.getString("TYPE_NAME")))
                       .append(",\"size\":").append(rs.getInt("COLUMN_SIZE"))
                       .append(",\"digits\":").append(rs.getInt("DECIMAL_DIGITS"))
                       .append(",\"nullable\":").append(rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls)
                       .append('}');
                }
            }
            out.append("]}");
        }
        out.append("]}");
    }

    private static void rows(Connection connection, String schema, String table, List<String> columns,
            StringBuilder out) throws Exception {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) sql.append(", ");
            sql.append(quote(columns.get(i)));
        }
        sql.append(" FROM ");
        if (schema != null) sql.append(quote(schema)).append('.');
        sql.append(quote(table));
        out.append("{\"ok\":true,\"rows\":[");
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql.toString())) {
            ResultSetMetaData meta = rs.getMetaData();
            boolean firstRow = true;
            while (rs.next()) {
                if (!firstRow) out.append(',');
                firstRow = false;
                out.append('[');
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    if (i > 1) out.append(',');
                    String value;
                    switch (meta.getColumnType(i)) {
                        case Types.TIMESTAMP:
                        case Types.TIMESTAMP_WITH_TIMEZONE:
                            java.sql.Timestamp ts = rs.getTimestamp(i);
                            value = ts == null ? null : ts.toString();
                            break;
                        case Types.BIT:
                        case Types.BOOLEAN:
                            boolean b = rs.getBoolean(i);
                            value = rs.wasNull() ? null : String.valueOf(b);
                            break;
                        default:
                            value = rs.getString(i);
                    }
                    out.append(value == null ? "null" : json(value));
                }
                out.append(']');
            }
        }
        out.append("]}");
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static String json(String value) {
        if (value == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}

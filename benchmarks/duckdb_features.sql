-- The headline churnwatch features as one DuckDB query over the same CSV files, for the
-- scan benchmark's comparison. {folder}, {as_of}, {recent} and {baseline} are filled in.
WITH
orders AS (
    SELECT customer_id, order_date::DATE AS day, amount, channel
    FROM read_csv('{folder}/orders.csv', header = true)
    WHERE order_date <= DATE '{as_of}'
),
order_days AS (
    SELECT DISTINCT customer_id, day FROM orders
),
gaps AS (
    SELECT customer_id,
           day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap
    FROM order_days
),
gap_stats AS (
    SELECT customer_id, median(gap) AS typical_gap_days, max(gap) AS longest_gap_days,
           count(gap) AS gaps
    FROM gaps WHERE gap IS NOT NULL GROUP BY customer_id
),
order_stats AS (
    SELECT customer_id,
        count(*) AS order_count,
        min(day) AS first_order_date,
        max(day) AS last_order_date,
        DATE '{as_of}' - max(day) AS days_since_last_order,
        count(*) FILTER (WHERE day > DATE '{as_of}' - {recent}) AS orders_recent,
        count(*) FILTER (WHERE day <= DATE '{as_of}' - {recent}
                         AND day > DATE '{as_of}' - {recent} - {baseline}) AS orders_baseline,
        avg(amount) FILTER (WHERE amount > 0 AND day > DATE '{as_of}' - {recent}) AS avg_order_value_recent,
        avg(amount) FILTER (WHERE amount > 0 AND day <= DATE '{as_of}' - {recent}
                            AND day > DATE '{as_of}' - {recent} - {baseline}) AS avg_order_value_baseline,
        sum(amount) FILTER (WHERE day > DATE '{as_of}' - {recent}) AS revenue_recent,
        sum(amount) FILTER (WHERE day <= DATE '{as_of}' - {recent}
                            AND day > DATE '{as_of}' - {recent} - {baseline}) AS revenue_baseline,
        sum(amount) AS lifetime_revenue,
        avg((channel = 'outbound')::INT) FILTER (WHERE day > DATE '{as_of}' - {recent}) AS outbound_share_recent,
        avg((channel = 'outbound')::INT) FILTER (WHERE day <= DATE '{as_of}' - {recent}
                            AND day > DATE '{as_of}' - {recent} - {baseline}) AS outbound_share_baseline
    FROM orders GROUP BY customer_id
),
payments AS (
    SELECT customer_id, due_date::DATE AS due, paid_date::DATE AS paid, amount,
           CASE WHEN paid_date IS NULL OR paid_date::DATE > DATE '{as_of}'
                THEN DATE '{as_of}' - due_date::DATE
                ELSE paid_date::DATE - due_date::DATE END AS late,
           (paid_date IS NULL OR paid_date::DATE > DATE '{as_of}') AS still_open
    FROM read_csv('{folder}/payments.csv', header = true)
    WHERE invoice_date <= DATE '{as_of}'
),
payment_stats AS (
    SELECT customer_id,
        avg(late) FILTER (WHERE due > DATE '{as_of}' - {recent} AND due <= DATE '{as_of}') AS days_late_recent,
        avg(late) FILTER (WHERE due <= DATE '{as_of}' - {recent}
                          AND due > DATE '{as_of}' - {recent} - {baseline}) AS days_late_baseline,
        count(*) FILTER (WHERE still_open AND due < DATE '{as_of}') AS open_overdue_invoices,
        sum(amount) FILTER (WHERE still_open AND due < DATE '{as_of}') AS open_overdue_amount,
        max(DATE '{as_of}' - due) FILTER (WHERE still_open AND due < DATE '{as_of}') AS max_days_overdue
    FROM payments GROUP BY customer_id
),
complaints AS (
    SELECT customer_id, opened_date::DATE AS opened,
           CASE WHEN closed_date::DATE > DATE '{as_of}' THEN NULL ELSE closed_date::DATE END AS closed,
           severity
    FROM read_csv('{folder}/complaints.csv', header = true)
    WHERE opened_date <= DATE '{as_of}'
),
complaint_stats AS (
    SELECT customer_id,
        count(*) FILTER (WHERE opened > DATE '{as_of}' - {recent}) AS complaints_recent,
        count(*) FILTER (WHERE opened <= DATE '{as_of}' - {recent}
                         AND opened > DATE '{as_of}' - {recent} - {baseline}) AS complaints_baseline,
        count(*) FILTER (WHERE closed IS NULL) AS open_complaints,
        max(DATE '{as_of}' - opened) FILTER (WHERE closed IS NULL) AS oldest_open_complaint_days,
        median(closed - opened) FILTER (WHERE closed IS NOT NULL
                         AND opened > DATE '{as_of}' - {recent} - {baseline}) AS median_resolution_days,
        count(*) FILTER (WHERE severity = 'high' AND opened > DATE '{as_of}' - {recent}) AS high_severity_recent
    FROM complaints GROUP BY customer_id
)
SELECT o.*, g.typical_gap_days, g.longest_gap_days,
       o.days_since_last_order / g.typical_gap_days AS overdue_ratio,
       p.* EXCLUDE (customer_id), c.* EXCLUDE (customer_id)
FROM order_stats o
LEFT JOIN gap_stats g USING (customer_id)
LEFT JOIN payment_stats p USING (customer_id)
LEFT JOIN complaint_stats c USING (customer_id)
ORDER BY customer_id

"""Analysis and evaluation (分析评价): indicator library, composite scores and rankings, monthly bulletins.

``indicators`` declares every indicator once and computes them per month × unit into
``agg_indicator_month``; ``scoring`` turns stored values into scores, ranks and persistence colours;
``reports`` assembles the monthly bulletin (月通报) and weekly check (周检查) rendered by ``render``.
"""

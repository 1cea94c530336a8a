# Live cross-check of the package's survival estimators against R (run by tests/test_r_crosscheck.py).
#
#   Rscript crosscheck.R <folder>
#
# <folder>/manifest.csv lists the data sets (dataset, kind, file, covariates, categorical, cluster); this script
# fits each with R's survival and sandwich packages and writes <folder>/r_results.csv, one number a line:
# dataset, analysis, key, variant, quantity, value (17 significant digits). Exit status 3 names a missing
# package, so the test can say what to install (`make r`).

for (pkg in c("survival", "sandwich")) {
  if (!requireNamespace(pkg, quietly = TRUE)) {
    cat(sprintf("R package '%s' is not installed\n", pkg), file = stderr())
    quit(status = 3)
  }
}
suppressPackageStartupMessages({
  library(survival)
  library(sandwich)
})

folder <- commandArgs(trailingOnly = TRUE)[1]
manifest <- read.csv(file.path(folder, "manifest.csv"), stringsAsFactors = FALSE, colClasses = "character")
lines <- character(0)
emit <- function(dataset, analysis, key, variant, quantity, value) {
  lines <<- c(lines, sprintf("%s,%s,%s,%s,%s,%.17g", dataset, analysis, key, variant, quantity, value))
}
split_names <- function(text) if (is.na(text) || text == "") character(0) else strsplit(text, ";")[[1]]

# Kaplan-Meier with R's default log-scale interval, at every event or censoring time of every group.
kaplan_meier <- function(id, d) {
  fit <- survfit(Surv(time, status) ~ group, data = d, conf.type = "log")
  s <- summary(fit, censored = TRUE)
  group <- if (is.null(s$strata)) rep(d$group[1], length(s$time)) else sub("^group=", "", as.character(s$strata))
  key <- sprintf("%s@%.17g", group, s$time)
  for (q in c("n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper")) {
    emit(id, "km", key, "log", q, s[[q]])
  }
}

# Cox on (start, stop] rows: Efron and Breslow ties, model-based and robust (clustered) standard errors.
cox <- function(id, d, covariates, cluster) {
  formula <- as.formula(paste("Surv(start, stop, event) ~", paste(covariates, collapse = " + ")))
  control <- coxph.control(eps = 1e-12, toler.chol = 1e-12, iter.max = 100)
  for (ties in c("efron", "breslow")) {
    fit <- coxph(formula, data = d, ties = ties, control = control)
    emit(id, "cox", names(coef(fit)), ties, "coef", coef(fit))
    emit(id, "cox", names(coef(fit)), ties, "se", sqrt(diag(fit$var)))
    for (by in c(cluster, "id")) {
      d$.cluster <- d[[by]]
      robust <- coxph(formula, data = d, ties = ties, control = control, cluster = .cluster)
      emit(id, "cox", names(coef(robust)), paste0(ties, ":", by), "robust_se", sqrt(diag(robust$var)))
    }
  }
}

# The package's baseline: months 1..24 alone, then 25-36, 37-48, 49+; a period without any dropout is pooled
# with the one before it (as documented in analysis.retention.hazard).
baseline_bins <- function(month, event) {
  edges <- c(1:25, 37, 49)
  labels <- c(as.character(1:24), "25-36", "37-48", "49+")
  bin <- labels[findInterval(month, edges)]
  events <- tapply(event, factor(bin, levels = labels), sum)
  events[is.na(events)] <- 0
  target <- labels
  current <- NA
  for (i in seq_along(labels)) {
    if (events[i] > 0 || is.na(current)) current <- labels[i]
    target[i] <- current
  }
  present <- unique(target[labels %in% bin])
  factor(target[match(bin, labels)], levels = present)
}

# Discrete-time cloglog hazard on binary person-months with site fixed effects. Clustered covariance: the CR1
# meat of sandwich::meatCL (type HC1 with cadjust: G/(G-1) x (N-1)/(N-K)), as the package computes it. The bread
# is the inverse *observed* information (statsmodels' choice for a non-canonical link, so the package's), computed
# here analytically; vcovCL's default bread, the inverse expected information, is written beside it for the record.
observed_information <- function(fit) {
  x <- model.matrix(fit)
  y <- fit$y
  mu <- fitted(fit)
  e <- exp(fit$linear.predictors)
  # log-likelihood per row l = y log(mu) + (1 - y) log(1 - mu) with 1 - mu = exp(-e): dl/deta = (y - mu) e / mu
  second <- -e^2 * (1 - mu) / mu + (y - mu) * (e / mu) * (1 - e * (1 - mu) / mu)
  crossprod(x * (-second), x)
}

discrete_hazard <- function(id, d, covariates, categorical, cluster) {
  events_by_site <- tapply(d$event, d$site, sum)
  d <- d[d$site %in% names(events_by_site)[events_by_site > 0], ]
  d$bin <- baseline_bins(d$month, d$event)
  for (v in categorical) d[[v]] <- factor(d[[v]])
  d$site <- factor(d$site)
  formula <- as.formula(paste("event ~ bin +", paste(c(covariates, "site", "post_subsidy"), collapse = " + ")))
  fit <- glm(formula, family = binomial(link = "cloglog"), data = d,
             control = glm.control(epsilon = 1e-14, maxit = 200))
  meat <- meatCL(fit, cluster = d[[cluster]], type = "HC1", cadjust = TRUE)
  clustered <- sandwich(fit, bread. = solve(observed_information(fit)) * nobs(fit), meat. = meat)
  expected_bread <- vcovCL(fit, cluster = d[[cluster]], type = "HC1", cadjust = TRUE)
  n_clusters <- length(unique(d[[cluster]]))
  terms <- c(covariates, "post_subsidy")
  wanted <- names(coef(fit))[sapply(names(coef(fit)), function(n) any(startsWith(n, terms)))]
  for (name in wanted) {
    label <- name
    for (v in categorical) if (startsWith(name, v)) label <- sprintf("%s[%s]", v, substring(name, nchar(v) + 1))
    b <- unname(coef(fit)[name])
    se_naive <- sqrt(vcov(fit)[name, name])
    se_cl <- sqrt(clustered[name, name])
    q <- qt(0.975, n_clusters - 1)
    emit(id, "glm", label, "naive", "estimate", b)
    emit(id, "glm", label, "naive", "std_error", se_naive)
    emit(id, "glm", label, "naive", "p_value", 2 * pnorm(-abs(b / se_naive)))
    emit(id, "glm", label, "clustered", "estimate", b)
    emit(id, "glm", label, "clustered", "std_error", se_cl)
    emit(id, "glm", label, "clustered", "std_error_expected_bread", sqrt(expected_bread[name, name]))
    emit(id, "glm", label, "clustered", "p_value", 2 * pt(-abs(b / se_cl), n_clusters - 1))
    emit(id, "glm", label, "clustered", "ci_lower", exp(b - q * se_cl))
    emit(id, "glm", label, "clustered", "ci_upper", exp(b + q * se_cl))
  }
  # The cluster jackknife (CV3) of post_subsidy: refit without each site, (G-1)/G sum (b_(g) - b)^2, t(G-1).
  # The baseline bins stay those of the full data, so a bin left without events gets a very negative
  # coefficient where the package drops its rows (the limit); the difference is far below 1e-6.
  b <- unname(coef(fit)["post_subsidy"])
  leave_one_out <- sapply(levels(d[[cluster]]), function(g) {
    part <- droplevels(d[d[[cluster]] != g, ])
    refit <- suppressWarnings(glm(formula, family = binomial(link = "cloglog"), data = part,
                                  control = glm.control(epsilon = 1e-14, maxit = 200)))
    unname(coef(refit)["post_subsidy"])
  })
  # a refit beyond |15| is separated, as the package judges it (identification.MAX_LOG_HR): no jackknife then
  se_jk <- if (any(is.na(leave_one_out) | abs(leave_one_out) >= 15)) NA else
    sqrt((n_clusters - 1) / n_clusters * sum((leave_one_out - b)^2))
  q <- qt(0.975, n_clusters - 1)
  emit(id, "glm", "post_subsidy", "jackknife", "estimate", b)
  emit(id, "glm", "post_subsidy", "jackknife", "std_error", se_jk)
  emit(id, "glm", "post_subsidy", "jackknife", "ci_lower", exp(b - q * se_jk))
  emit(id, "glm", "post_subsidy", "jackknife", "ci_upper", exp(b + q * se_jk))
}

for (i in seq_len(nrow(manifest))) {
  m <- manifest[i, ]
  d <- read.csv(file.path(folder, m$file), stringsAsFactors = FALSE)
  if (m$kind == "km") {
    d$group <- as.character(d$group)
    kaplan_meier(m$dataset, d)
  } else if (m$kind == "cox") {
    cox(m$dataset, d, split_names(m$covariates), m$cluster)
  } else if (m$kind == "glm") {
    discrete_hazard(m$dataset, d, split_names(m$covariates), split_names(m$categorical), m$cluster)
  }
}
writeLines(c("dataset,analysis,key,variant,quantity,value", lines), file.path(folder, "r_results.csv"))

# Fits every (dataset, measure) group of the input CSV with metafor, the way the project pools:
# escalc (0.5 added to each cell of a table with a zero cell), rma with DL, PM and REML, normal and
# Hartung-Knapp (test = "knha") intervals, and the HTS prediction interval (predict, pi.type = "riley":
# t with k-2 df and the normal-inference standard error). Usage: Rscript metafor_fit.R IN.csv OUT.csv TOL
# where TOL "tight" tightens PM's root finding and REML's convergence to 1e-12 and "default" keeps metafor's.
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
input <- read.csv(args[1], stringsAsFactors = FALSE)
tight <- length(args) < 3 || args[3] == "tight"
controls <- if (tight) list(DL = list(), PM = list(tol = 1e-12, maxiter = 1000),
                            REML = list(threshold = 1e-12, maxiter = 1000)) else list(DL = list(), PM = list(), REML = list())
effects <- function(d, measure) {
  if (measure == "PLO") escalc(measure = "PLO", xi = d$ai, ni = d$n1i)
  else escalc(measure = measure, ai = d$ai, bi = d$n1i - d$ai, ci = d$ci, di = d$n2i - d$ci)
}
rows <- list()
for (key in unique(paste(input$dataset, input$measure, sep = "\t"))) {
  parts <- strsplit(key, "\t")[[1]]
  d <- input[input$dataset == parts[1] & input$measure == parts[2], ]
  es <- effects(d, parts[2])
  for (method in c("DL", "PM", "REML")) {
    fit <- rma(yi, vi, data = es, method = method, control = controls[[method]])
    hk <- rma(yi, vi, data = es, method = method, test = "knha", control = controls[[method]])
    pred <- predict(fit, pi.type = "riley")
    rows[[length(rows) + 1]] <- data.frame(
      dataset = parts[1], measure = parts[2], method = tolower(method), k = fit$k,
      b = as.numeric(fit$b), se = fit$se, ci_lb = fit$ci.lb, ci_ub = fit$ci.ub,
      hk_ci_lb = hk$ci.lb, hk_ci_ub = hk$ci.ub, tau2 = fit$tau2, pi_lb = pred$pi.lb, pi_ub = pred$pi.ub)
  }
}
write.csv(do.call(rbind, rows), args[2], row.names = FALSE)
